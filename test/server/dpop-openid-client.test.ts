/**
 * DPoP interoperability with an independent client library: openid-client v6 (panva), which makes
 * its own proofs (`getDPoPHandle`) and handles server nonces by itself, signs in (code + PKCE, the
 * code bound with `dpop_jkt`), refreshes and reads UserInfo against Gatehouse, in process: its
 * requests go to the server's fetch handler through openid-client's `customFetch`, and the user's
 * pages through the test browser.
 */
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { APP_REDIRECT, pageKind, startFlow, submitLogin, type Flow } from '../helpers/flow.js';
import type { TestServerOptions } from '../helpers/server.js';

const SCOPE = 'openid profile email offline_access';

describe.each([
  { nonces: 'off' as const, label: 'without server nonces' },
  { nonces: 'on' as const, label: 'with server nonces (the use_dpop_nonce round trip)' },
])('openid-client with DPoP, $label', ({ nonces }) => {
  let flow: Flow;
  let config: client.Configuration;
  /** Every response openid-client received: status and whether it carried a DPoP-Nonce. */
  const seen: { url: string; status: number; nonce: boolean }[] = [];

  beforeAll(async () => {
    // openid-client checks times against the real clock: the server's clock follows it.
    const clock = new FakeClock(Date.now());
    const options: TestServerOptions = { clock, tokens: { dpopNonce: nonces } };
    flow = await startFlow(options, { authMethod: 'none', scope: SCOPE });
    const fetcher: client.CustomFetch = async (url, init) => {
      clock.set(Math.max(clock.now(), Date.now()));
      const response = await flow.server.server.fetch(
        new Request(url, { method: init.method, headers: init.headers, ...(init.body !== undefined ? { body: init.body as BodyInit } : {}) }),
      );
      seen.push({ url, status: response.status, nonce: response.headers.has('dpop-nonce') });
      return response;
    };
    config = await client.discovery(new URL(flow.server.issuer), flow.client.clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
      [client.customFetch]: fetcher,
    });
  });

  afterAll(async () => {
    await flow?.server.server.close();
  });

  it('signs in, refreshes with the same key, and reads UserInfo', async () => {
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const dpop = client.getDPoPHandle(config, keyPair);
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    const checks = { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: client.randomState(), expectedNonce: client.randomNonce() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: APP_REDIRECT,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
      code_challenge_method: 'S256',
      state: checks.expectedState,
      nonce: checks.expectedNonce,
      prompt: 'consent',
      dpop_jkt: jkt,
    });

    let page = await flow.browser.open(url.href);
    for (let step = 0; step < 4 && !page.location; step += 1) {
      if (pageKind(page) === 'login') page = await submitLogin(flow.browser, page, flow.users.alice);
      else page = await flow.browser.submit(page, {}, { button: 'approve' });
    }
    expect(page.location?.href).toContain(APP_REDIRECT);

    const tokens = await client.authorizationCodeGrant(config, page.location!, checks, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    expect(tokens.claims()?.sub).toBe(flow.users.alice.record.id);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });

    const userinfo = await client.fetchUserInfo(config, refreshed.access_token, flow.users.alice.record.id, { DPoP: dpop });
    expect(userinfo).toMatchObject({ sub: flow.users.alice.record.id, name: 'Alice Liddell' });

    // Another key cannot use the public client's refresh token (RFC 9449 §5).
    const thief = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const stolen = await client.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP: thief }).catch((error: unknown) => error);
    expect(stolen).toBeInstanceOf(client.ResponseBodyError);
    expect((stolen as client.ResponseBodyError).error).toBe('invalid_grant');

    const nonceRounds = seen.filter((response) => response.status === 400 || response.status === 401).length;
    if (nonces === 'on') {
      // The first token request and the first UserInfo request each learn the nonce once.
      expect(nonceRounds).toBeGreaterThanOrEqual(2);
      expect(seen.filter((response) => response.url.endsWith('/token') && response.status === 200).every((response) => response.nonce)).toBe(true);
    } else {
      expect(nonceRounds).toBe(1); // only the thief's refresh
    }
  });
});
