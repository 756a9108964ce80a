/**
 * Logs never carry a secret: a whole life of tokens is run with the most verbose logging, and the
 * captured output is searched for every secret, code, token and password that passed through.
 */
import { generate } from 'otplib';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SecretKeys } from '../../../src/core/secret.js';
import { REDACTED_PATHS } from '../../../src/core/logger.js';
import { registerClient } from '../../../src/server/admin/clients.js';
import { startTotpEnrolment, useTotpCode } from '../../../src/server/mfa/factors.js';
import { authorize, expectTokens, redeemCode, refresh, startFlow, submitLogin, tokenRequest } from '../../helpers/flow.js';
import { basic, SECRET } from '../../helpers/server.js';

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream), text: () => lines.join('') };
}

describe('log output', () => {
  it('contains no token, secret, code or password after sign-ins, MFA, refreshes, failures and revocations', async () => {
    const { logger, text } = capturingLogger();
    const flow = await startFlow({ logger });
    const { server, users, client, browser } = flow;
    const secrets: string[] = [SECRET, users.alice.password, client.clientSecret!];

    // A failed sign-in with a wrong password, then a good one through to tokens.
    const wrongPassword = 'Wrong-Password-That-Must-Not-Be-Logged';
    secrets.push(wrongPassword);
    {
      const { pkce, authorizeParams, authorizeUrl } = await import('../../helpers/flow.js');
      const page = await browser.open(authorizeUrl(server, authorizeParams(client, pkce().challenge)));
      await submitLogin(browser, page, users.alice, wrongPassword);
    }
    const authorized = await authorize(browser, server, client, users.alice, { scope: 'openid profile email offline_access' });
    secrets.push(authorized.code, authorized.verifier);
    const tokens = await expectTokens(await redeemCode(server, client, authorized.code, authorized.verifier));
    secrets.push(tokens.access_token, tokens.refresh_token!, tokens.id_token!);
    // A refresh, reuse of the old refresh token and a replay of the code (both logged as warnings).
    const refreshed = await expectTokens(await refresh(server, client, tokens.refresh_token!));
    secrets.push(refreshed.access_token, refreshed.refresh_token!);
    await refresh(server, client, tokens.refresh_token!);
    await redeemCode(server, client, authorized.code, authorized.verifier);

    // A machine client, a wrong secret, a revocation.
    const machine = await registerClient(server.store, new SecretKeys(SECRET), { name: 'Job', grantTypes: ['client_credentials'] }, server.clock.now());
    secrets.push(machine.clientSecret!);
    const machineAuth = { headers: { authorization: basic(machine.client.clientId, machine.clientSecret!) } };
    const machineToken = await expectTokens(await server.post('/token', { grant_type: 'client_credentials' }, machineAuth));
    secrets.push(machineToken.access_token);
    await tokenRequest(server, { ...client, clientSecret: 'a-wrong-client-secret-value-0123456789' }, { grant_type: 'client_credentials' });
    secrets.push('a-wrong-client-secret-value-0123456789');
    await server.post('/revoke', { token: machineToken.access_token }, machineAuth);

    // A second factor: TOTP secret and codes.
    const ctx = { store: server.store, clock: server.clock, secrets: new SecretKeys(SECRET) };
    const { factor, secret } = await startTotpEnrolment(ctx, users.bob.record.id);
    const code = await generate({ secret, epoch: Math.floor(server.clock.now() / 1000) });
    await useTotpCode(ctx, factor, code);
    secrets.push(secret, code);

    // Every cookie value the browser received (session ids, browser ids).
    secrets.push(...[...browser.cookies.values()].filter((value) => value.length >= 20));

    const output = text();
    expect(output.length).toBeGreaterThan(500);
    for (const secretValue of secrets) expect(output, 'a secret appears in the log').not.toContain(secretValue);
    // And nothing shaped like a JWT.
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
  });
});
