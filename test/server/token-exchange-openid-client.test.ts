/**
 * Token exchange (RFC 8693) driven by an independent client library, openid-client v6 (panva), over
 * real HTTP against a Gatehouse listening on loopback: `genericGrantRequest` with the token exchange
 * grant type, the response validated by openid-client itself (RFC 6749 §5.1 members, token_type),
 * errors surfaced as its `ResponseBodyError`. The exchanged token is then accepted by the resource
 * guard of the downstream API it was issued for, which sees `act`.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_EXCHANGE_GRANT } from '../../src/server/grants/token-exchange.js';
import { createResourceGuard } from '../../src/resource/index.js';
import { authorize, Browser, expectTokens, redeemCode, registerFlowClient, seedUsers, type TestUser } from '../helpers/flow.js';
import type { TestClient } from '../helpers/server.js';
import { startIssuer, type RunningIssuer } from '../resource/support.js';

const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const NOTES = 'https://notes.example.com/';
const STORAGE = 'https://storage.example.com/';
const SCOPE = 'openid email notes:read notes:write';

let issuer: RunningIssuer;
let alice: TestUser;
let app: TestClient & { redirectUri: string };
let notesApi: TestClient;

beforeAll(async () => {
  issuer = await startIssuer();
  alice = (await seedUsers(issuer.test.store)).alice;
  const registered = await registerFlowClient(issuer.test, {
    grantTypes: ['authorization_code', TOKEN_EXCHANGE_GRANT],
    scope: SCOPE,
    resources: [NOTES],
  });
  app = { clientId: registered.clientId, clientSecret: registered.clientSecret!, record: registered.record, redirectUri: registered.redirectUri };
  notesApi = await issuer.test.register({
    name: 'Notes API',
    grantTypes: [TOKEN_EXCHANGE_GRANT],
    scope: 'notes:read',
    resources: [STORAGE],
    isResourceServer: true,
    servedResources: [NOTES],
  });
});

afterAll(async () => {
  await issuer?.close();
});

function discover(as: Pick<TestClient, 'clientId' | 'clientSecret'>): Promise<client.Configuration> {
  // Plain http is fine here: the server listens on loopback only.
  return client.discovery(new URL(issuer.issuer), as.clientId, as.clientSecret, client.ClientSecretBasic(as.clientSecret), {
    execute: [client.allowInsecureRequests],
  });
}

/** Alice signs in to the app; its access token, for the notes API. */
async function aliceToken(): Promise<string> {
  const flowClient = { clientId: app.clientId, clientSecret: app.clientSecret, record: app.record, redirectUri: app.redirectUri };
  const authorized = await authorize(new Browser(issuer.test), issuer.test, flowClient, alice, { scope: SCOPE });
  return (await expectTokens(await redeemCode(issuer.test, flowClient, authorized.code, authorized.verifier, { resource: NOTES }))).access_token;
}

describe('openid-client genericGrantRequest: token exchange', () => {
  it('discovers the grant, exchanges for a narrower scope, then a resource server exchanges for its downstream API', async () => {
    const appConfig = await discover(app);
    expect(appConfig.serverMetadata().grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
    const subject = await aliceToken();

    const narrowed = await client.genericGrantRequest(appConfig, TOKEN_EXCHANGE_GRANT, {
      subject_token: subject,
      subject_token_type: ACCESS_TOKEN,
      requested_token_type: ACCESS_TOKEN,
      scope: 'notes:read',
      resource: NOTES,
    });
    expect(narrowed.token_type.toLowerCase()).toBe('bearer');
    expect(narrowed.issued_token_type).toBe(ACCESS_TOKEN);
    expect(narrowed.scope).toBe('notes:read');
    expect(narrowed.refresh_token).toBeUndefined();
    expect(narrowed.expiresIn()).toBeGreaterThan(3000);

    // The notes API received the narrowed token and calls the storage API for Alice.
    const downstream = await client.genericGrantRequest(await discover(notesApi), TOKEN_EXCHANGE_GRANT, {
      subject_token: narrowed.access_token,
      subject_token_type: ACCESS_TOKEN,
      audience: STORAGE,
    });
    const guard = createResourceGuard({ issuer: issuer.issuer, audience: STORAGE, allowInsecureRequests: true });
    const verified = await guard.verify(downstream.access_token, { scopes: ['notes:read'] });
    expect(verified.sub).toBe(alice.record.id);
    expect(verified.clientId).toBe(notesApi.clientId);
    expect(verified.claims.act).toEqual({ sub: notesApi.clientId, act: { sub: app.clientId } });
    // Not a token for the notes API any more.
    await expect(
      createResourceGuard({ issuer: issuer.issuer, audience: NOTES, allowInsecureRequests: true }).verify(downstream.access_token),
    ).rejects.toThrow();
  });

  it('surfaces refusals as OAuth errors: a token the client does not hold, a garbage token, an unknown target', async () => {
    const subject = await aliceToken();
    const stranger = await issuer.test.register({ name: 'Stranger', grantTypes: [TOKEN_EXCHANGE_GRANT], scope: 'notes:read' });
    const refusals: [Pick<TestClient, 'clientId' | 'clientSecret'>, Record<string, string>, string][] = [
      [stranger, { subject_token: subject, subject_token_type: ACCESS_TOKEN }, 'invalid_request'],
      [app, { subject_token: 'garbage', subject_token_type: ACCESS_TOKEN }, 'invalid_request'],
      [app, { subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: 'https://elsewhere.example.com/' }, 'invalid_target'],
      [app, { subject_token: subject, subject_token_type: ACCESS_TOKEN, scope: 'notes:admin' }, 'invalid_scope'],
    ];
    for (const [as, parameters, error] of refusals) {
      const failure = await client.genericGrantRequest(await discover(as), TOKEN_EXCHANGE_GRANT, parameters).catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(client.ResponseBodyError);
      expect((failure as client.ResponseBodyError).error).toBe(error);
      expect((failure as client.ResponseBodyError).status).toBe(400);
    }
  });
});
