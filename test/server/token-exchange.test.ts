/**
 * OAuth 2.0 Token Exchange (RFC 8693) through the server's fetch handler: a client trades a user's
 * token it holds for one with another audience or a narrower scope, for the same user, with `act`
 * naming who acts (§4.1); refused across users and clients, for clients without the grant, and for
 * tokens that are not valid now. The main path and the revocation cascade run on every backend.
 */
import { generateKeyPair, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { revokeUserAccess } from '../../src/server/admin/user-access.js';
import { grantAdminRole } from '../../src/server/admin/users.js';
import { registerClient } from '../../src/server/admin/clients.js';
import { TOKEN_EXCHANGE_GRANT } from '../../src/server/grants/token-exchange.js';
import type { AccessTokenClaims } from '../../src/server/tokens/access-token.js';
import { BACKENDS, closeBackends } from '../helpers/backends.js';
import { FakeClock } from '../helpers/fake-clock.js';
import {
  authorize,
  Browser,
  expectTokens,
  redeemCode,
  registerFlowClient,
  startFlow,
  testUsers,
  type Flow,
  type TestUser,
  type Tokens,
} from '../helpers/flow.js';
import { basic, errorBody, type FormFields, type TestClient, type TestServerOptions } from '../helpers/server.js';

const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const NOTES = 'https://notes.example.com/';
const CALENDAR = 'https://calendar.example.com/';
const STORAGE = 'https://storage.example.com/';
const APP_SCOPE = 'openid email offline_access notes:read notes:write';

interface Setup extends Flow {
  /** The app users sign in to; it may exchange its own tokens. */
  app: TestClient;
  /** The notes API: a resource server that may exchange tokens for itself (audience NOTES) for STORAGE tokens. */
  notesApi: TestClient;
  /** The storage API: exchanges tokens for itself onward (nested delegation). */
  storageApi: TestClient;
}

async function startExchange(options: TestServerOptions = {}): Promise<Setup> {
  const flow = await startFlow(options, {
    grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT],
    scope: APP_SCOPE,
    resources: [NOTES, CALENDAR],
  });
  const { server } = flow;
  const app = { clientId: flow.client.clientId, clientSecret: flow.client.clientSecret!, record: flow.client.record };
  const notesApi = await server.register({
    name: 'Notes API',
    grantTypes: ['client_credentials', TOKEN_EXCHANGE_GRANT],
    scope: 'notes:read storage:read',
    resources: [STORAGE],
    isResourceServer: true,
    servedResources: [NOTES],
  });
  const storageApi = await server.register({
    name: 'Storage API',
    grantTypes: [TOKEN_EXCHANGE_GRANT],
    scope: 'notes:read',
    resources: [CALENDAR],
    isResourceServer: true,
    servedResources: [STORAGE],
  });
  return { ...flow, app, notesApi, storageApi };
}

/** Signs `user` in to the app in a browser of their own and redeems the code for `resource`; the app's tokens. */
async function userTokens(setup: Setup, user: TestUser, resource = NOTES): Promise<Tokens> {
  const authorized = await authorize(new Browser(setup.server), setup.server, setup.client, user, { scope: APP_SCOPE });
  return expectTokens(await redeemCode(setup.server, setup.client, authorized.code, authorized.verifier, { resource }));
}

function exchange(setup: Pick<Setup, 'server'>, client: Pick<TestClient, 'clientId' | 'clientSecret'>, fields: FormFields): Promise<Response> {
  return setup.server.post(
    '/token',
    { grant_type: TOKEN_EXCHANGE_GRANT, ...fields },
    { headers: { Authorization: basic(client.clientId, client.clientSecret) } },
  );
}

interface Exchanged {
  access_token: string;
  issued_token_type: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}

async function expectExchanged(response: Response): Promise<Exchanged & { claims: AccessTokenClaims }> {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`expected a token, got ${response.status}: ${text}`);
  const body = JSON.parse(text) as Exchanged;
  return { ...body, claims: decodeJwt<AccessTokenClaims>(body.access_token) };
}

async function expectRefused(response: Response, error: string): Promise<string> {
  const text = await response.text();
  expect(response.status, text).toBe(400);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = JSON.parse(text) as { error: string; error_description: string };
  expect(body.error, text).toBe(error);
  return body.error_description;
}

beforeAll(async () => {
  await testUsers();
});

afterAll(async () => {
  await closeBackends();
});

for (const backend of BACKENDS) {
  describe(`token exchange on ${backend.name}`, () => {
    async function withSetup(test: (setup: Setup) => Promise<void>): Promise<void> {
      const clock = new FakeClock();
      const opened = await backend.open(clock);
      const ready = await startExchange({ store: opened.store, clock, ...opened.serverOptions });
      try {
        await test(ready);
      } finally {
        await ready.server.server.close();
        await opened.close();
      }
    }

    it('narrows the scope and changes the audience of a user token; the new token names the client as actor and introspects with act', async () => {
      await withSetup(async (setup) => {
        const { server, app, users } = setup;
        const tokens = await userTokens(setup, users.alice);
        const response = await exchange(setup, app, {
          subject_token: tokens.access_token,
          subject_token_type: ACCESS_TOKEN,
          scope: 'notes:read',
          resource: CALENDAR,
        });
        expect(response.headers.get('cache-control')).toBe('no-store');
        const exchanged = await expectExchanged(response);
        // RFC 8693 §2.2.1.
        expect(exchanged).toMatchObject({ issued_token_type: ACCESS_TOKEN, token_type: 'Bearer', scope: 'notes:read', expires_in: 3600 });
        expect(exchanged.refresh_token).toBeUndefined();
        expect(decodeProtectedHeader(exchanged.access_token).typ).toBe('at+jwt');
        const { payload } = await server.verify(exchanged.access_token);
        expect(payload).toMatchObject({ sub: users.alice.record.id, client_id: app.clientId, aud: CALENDAR, scope: 'notes:read', act: { sub: app.clientId } });

        const introspected = await server.introspect(app, exchanged.access_token);
        expect(introspected).toMatchObject({ active: true, sub: users.alice.record.id, aud: CALENDAR, act: { sub: app.clientId } });
      });
    });

    it("revoking the subject token's grant revokes the exchanged tokens (same token family and consent)", async () => {
      await withSetup(async (setup) => {
        const { server, app, notesApi, users } = setup;
        const tokens = await userTokens(setup, users.alice);
        const own = await expectExchanged(
          await exchange(setup, app, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN, resource: CALENDAR }),
        );
        const downstream = await expectExchanged(
          await exchange(setup, notesApi, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN, resource: STORAGE }),
        );
        expect((await server.introspect(app, own.access_token)).active).toBe(true);
        expect((await server.introspect(notesApi, downstream.access_token)).active).toBe(true);

        // RFC 7009: the app revokes its refresh token, and with it the whole token family.
        const revoked = await server.post('/revoke', { token: tokens.refresh_token! }, { headers: { Authorization: basic(app.clientId, app.clientSecret) } });
        expect(revoked.status).toBe(200);
        expect(await server.introspect(app, own.access_token)).toEqual({ active: false });
        expect(await server.introspect(notesApi, downstream.access_token)).toEqual({ active: false });

        // And a token exchanged from a token of a new sign-in dies with the user's access.
        const again = await userTokens(setup, users.alice);
        const fresh = await expectExchanged(await exchange(setup, app, { subject_token: again.access_token, subject_token_type: ACCESS_TOKEN }));
        await revokeUserAccess(server.store, server.clock, users.alice.record.id);
        expect(await server.introspect(app, fresh.access_token)).toEqual({ active: false });
        await expectRefused(await exchange(setup, app, { subject_token: again.access_token, subject_token_type: ACCESS_TOKEN }), 'invalid_request');
      });
    });
  });
}

describe('token exchange (RFC 8693)', () => {
  describe('delegation and impersonation', () => {
    it('a resource server exchanges a token for itself for a downstream API, with its own token as actor; the next hop nests the actors', async () => {
      const setup = await startExchange();
      const { server, notesApi, storageApi, users } = setup;
      const tokens = await userTokens(setup, users.alice);
      const actor = await server.issueToken(notesApi, { scope: 'storage:read' });
      const first = await expectExchanged(
        await exchange(setup, notesApi, {
          subject_token: tokens.access_token,
          subject_token_type: ACCESS_TOKEN,
          actor_token: actor,
          actor_token_type: ACCESS_TOKEN,
          resource: STORAGE,
          scope: 'notes:read',
        }),
      );
      expect(first.claims).toMatchObject({
        sub: users.alice.record.id,
        client_id: notesApi.clientId,
        aud: STORAGE,
        scope: 'notes:read',
        act: { sub: notesApi.clientId },
      });

      // The storage API received that token (audience STORAGE) and calls on, with `audience`.
      const second = await expectExchanged(
        await exchange(setup, storageApi, { subject_token: first.access_token, subject_token_type: ACCESS_TOKEN, audience: CALENDAR }),
      );
      expect(second.claims).toMatchObject({ sub: users.alice.record.id, client_id: storageApi.clientId, aud: CALENDAR });
      expect(second.claims.act).toEqual({ sub: storageApi.clientId, act: { sub: notesApi.clientId } });
      expect((await server.introspect(storageApi, second.access_token)).act).toEqual({ sub: storageApi.clientId, act: { sub: notesApi.clientId } });
    });

    it('impersonation (no act) only for a client whose policy allows it; an act the subject already carries is kept', async () => {
      const setup = await startExchange();
      const { server, app, notesApi, users } = setup;
      const tokens = await userTokens(setup, users.alice);
      const delegated = await expectExchanged(await exchange(setup, notesApi, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN }));
      expect(delegated.claims.act).toEqual({ sub: notesApi.clientId });

      const impersonator = await server.register({
        name: 'Trusted gateway',
        grantTypes: [TOKEN_EXCHANGE_GRANT],
        scope: 'notes:read',
        exchangeImpersonation: true,
        isResourceServer: true,
        servedResources: [CALENDAR, 'https://gateway.example.com/'],
      });
      const forGateway = await userTokens(setup, users.alice, CALENDAR);
      const impersonated = await expectExchanged(
        await exchange(setup, impersonator, { subject_token: forGateway.access_token, subject_token_type: ACCESS_TOKEN }),
      );
      expect(impersonated.claims.sub).toBe(users.alice.record.id);
      expect(impersonated.claims.act).toBeUndefined();
      expect((await server.introspect(impersonator, impersonated.access_token)).act).toBeUndefined();

      // A token that already records a delegation cannot be laundered into one that does not.
      const viaApp = await expectExchanged(
        await exchange(setup, app, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN, resource: CALENDAR, scope: 'notes:read' }),
      );
      const kept = await expectExchanged(await exchange(setup, impersonator, { subject_token: viaApp.access_token, subject_token_type: ACCESS_TOKEN }));
      expect(kept.claims.act).toEqual({ sub: app.clientId });
    });

    it('accepts an ID token the client was issued, for the scope of the standing consent; refuses it once expired', async () => {
      const setup = await startExchange();
      const { server, app, users } = setup;
      const tokens = await userTokens(setup, users.alice);
      const exchanged = await expectExchanged(await exchange(setup, app, { subject_token: tokens.id_token!, subject_token_type: ID_TOKEN, resource: NOTES }));
      expect(exchanged.claims).toMatchObject({ sub: users.alice.record.id, aud: NOTES, act: { sub: app.clientId } });
      expect(exchanged.scope!.split(' ').sort()).toEqual(APP_SCOPE.split(' ').sort());
      // An ID token is not an access token, nor the reverse.
      await expectRefused(await exchange(setup, app, { subject_token: tokens.id_token!, subject_token_type: ACCESS_TOKEN }), 'invalid_request');
      await expectRefused(await exchange(setup, app, { subject_token: tokens.access_token, subject_token_type: ID_TOKEN }), 'invalid_request');

      server.clock.advance(3601 * 1000);
      await expectRefused(await exchange(setup, app, { subject_token: tokens.id_token!, subject_token_type: ID_TOKEN }), 'invalid_request');
    });

    it('an ID token of a sign-in without a second factor never becomes an admin token, whatever the consent recorded', async () => {
      const setup = await startExchange();
      const { server, users } = setup;
      await grantAdminRole(server.store, server.clock, 'alice');
      const tool = await registerFlowClient(server, {
        name: 'Admin tool',
        grantTypes: ['authorization_code', TOKEN_EXCHANGE_GRANT],
        scope: 'openid email admin',
      });
      // Alice once consented to `admin` (after a second factor); today she signs in with her password only.
      const now = server.clock.now();
      await server.store.consents.create({
        id: randomUUID(),
        clientId: tool.clientId,
        subject: users.alice.record.id,
        scope: 'openid email admin',
        extra: {},
        createdAt: now,
        updatedAt: now,
        revokedAt: null,
      });
      const authorized = await authorize(new Browser(server), server, tool, users.alice, { scope: 'openid email' });
      const tokens = await expectTokens(await redeemCode(server, tool, authorized.code, authorized.verifier));
      expect(decodeJwt(tokens.id_token!).amr).not.toContain('mfa');
      const toolClient = { clientId: tool.clientId, clientSecret: tool.clientSecret! };
      const exchanged = await expectExchanged(await exchange(setup, toolClient, { subject_token: tokens.id_token!, subject_token_type: ID_TOKEN }));
      expect(exchanged.scope!.split(' ').sort()).toEqual(['email', 'openid']);
      await expectRefused(
        await exchange(setup, toolClient, { subject_token: tokens.id_token!, subject_token_type: ID_TOKEN, scope: 'admin' }),
        'invalid_scope',
      );
    });

    it('never outlives the subject token (expires_in capped), and issues no refresh token', async () => {
      const setup = await startExchange();
      const { server, app, users } = setup;
      const tokens = await userTokens(setup, users.alice);
      server.clock.advance(3000 * 1000);
      const exchanged = await expectExchanged(
        await exchange(setup, app, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN, scope: 'offline_access notes:read' }),
      );
      expect(exchanged.expires_in).toBe(600);
      expect(exchanged.claims.exp).toBe(decodeJwt(tokens.access_token).exp);
      expect(exchanged.refresh_token).toBeUndefined();
    });
  });

  describe('refusals', () => {
    it('token exchange across users is refused: another user as actor, a token the client does not hold, and the new sub is always the subject', async () => {
      const setup = await startExchange();
      const { server, app, notesApi, users } = setup;
      const alice = await userTokens(setup, users.alice);
      const bob = await userTokens(setup, users.bob);
      expect(decodeJwt(bob.access_token).sub).toBe(users.bob.record.id);
      // Bob's token as the actor of Alice's: the actor must be the client itself.
      for (const [actor, type] of [
        [bob.access_token, ACCESS_TOKEN],
        [bob.id_token!, ID_TOKEN],
        [alice.access_token, ACCESS_TOKEN],
      ] as const) {
        await expectRefused(
          await exchange(setup, app, { subject_token: alice.access_token, subject_token_type: ACCESS_TOKEN, actor_token: actor, actor_token_type: type }),
          'invalid_request',
        );
      }
      // Another client's own token as actor.
      const foreignActor = await server.issueToken(await server.register({ grantTypes: ['client_credentials'] }));
      await expectRefused(
        await exchange(setup, notesApi, {
          subject_token: alice.access_token,
          subject_token_type: ACCESS_TOKEN,
          actor_token: foreignActor,
          actor_token_type: ACCESS_TOKEN,
        }),
        'invalid_request',
      );
      // A client holding Bob's token cannot exchange Alice's, which was issued to another client for an API it does not serve.
      const other = await registerClient(
        server.store,
        server.secretKeys,
        { name: 'Other app', redirectUris: ['https://other.example.com/cb'], grantTypes: ['authorization_code', TOKEN_EXCHANGE_GRANT], scope: APP_SCOPE },
        server.clock.now(),
      );
      const otherClient = { clientId: other.client.clientId, clientSecret: other.clientSecret! };
      const description = await expectRefused(
        await exchange(setup, otherClient, { subject_token: alice.access_token, subject_token_type: ACCESS_TOKEN }),
        'invalid_request',
      );
      expect(description).not.toContain(alice.access_token.slice(0, 20));
      // Every token a successful exchange gives is Alice's for Alice's token and Bob's for Bob's.
      const forAlice = await expectExchanged(await exchange(setup, app, { subject_token: alice.access_token, subject_token_type: ACCESS_TOKEN }));
      const forBob = await expectExchanged(await exchange(setup, app, { subject_token: bob.access_token, subject_token_type: ACCESS_TOKEN }));
      expect(forAlice.claims.sub).toBe(users.alice.record.id);
      expect(forBob.claims.sub).toBe(users.bob.record.id);
    });

    it('refuses a client without the grant (unauthorized_client) and a public client, which cannot even register for it', async () => {
      const setup = await startExchange();
      const { server, users } = setup;
      const tokens = await userTokens(setup, users.alice);
      const plain = await server.register({ grantTypes: ['client_credentials'] });
      await expectRefused(await exchange(setup, plain, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN }), 'unauthorized_client');

      await expect(
        registerClient(
          server.store,
          server.secretKeys,
          { name: 'SPA', authMethod: 'none', redirectUris: ['https://spa.example.com/cb'], grantTypes: ['authorization_code', TOKEN_EXCHANGE_GRANT] },
          0,
        ),
      ).rejects.toThrow(/confidential/);
      // A public client stored with the grant anyway (by another tool): refused at the token endpoint.
      const { client } = await registerClient(
        server.store,
        server.secretKeys,
        { name: 'SPA', authMethod: 'none', redirectUris: ['https://spa.example.com/cb'] },
        server.clock.now(),
      );
      await server.store.clients.update({ ...client, grantTypes: [...client.grantTypes, TOKEN_EXCHANGE_GRANT] });
      const response = await server.post('/token', {
        grant_type: TOKEN_EXCHANGE_GRANT,
        client_id: client.clientId,
        subject_token: tokens.access_token,
        subject_token_type: ACCESS_TOKEN,
      });
      await expectRefused(response, 'unauthorized_client');
    });

    it('refuses a scope beyond the subject token (invalid_scope) and a target the client may not ask for (invalid_target)', async () => {
      const setup = await startExchange();
      const { app, notesApi, users } = setup;
      const narrow = await expectExchanged(
        await exchange(setup, app, {
          subject_token: (await userTokens(setup, users.alice)).access_token,
          subject_token_type: ACCESS_TOKEN,
          scope: 'notes:read',
          resource: NOTES,
        }),
      );
      await expectRefused(
        await exchange(setup, app, { subject_token: narrow.access_token, subject_token_type: ACCESS_TOKEN, scope: 'notes:read notes:write' }),
        'invalid_scope',
      );
      const tokens = await userTokens(setup, users.alice);
      // The notes API may not have notes:write even though the subject token has it.
      await expectRefused(
        await exchange(setup, notesApi, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN, scope: 'notes:write' }),
        'invalid_scope',
      );
      await expectRefused(
        await exchange(setup, app, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN, scope: 'admin' }),
        'invalid_scope',
      );
      const targets: FormFields[] = [
        { resource: 'https://unknown.example.com/' },
        { audience: 'https://unknown.example.com/' },
        { audience: app.clientId },
        { resource: 'not a uri' },
        { audience: `${NOTES}#x` },
      ];
      for (const target of targets) {
        await expectRefused(await exchange(setup, app, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN, ...target }), 'invalid_target');
      }
    });

    it('refuses expired, revoked, forged and garbage tokens with invalid_request (RFC 8693 §2.2.2), never echoing them', async () => {
      const setup = await startExchange();
      const { server, app, users } = setup;
      const tokens = await userTokens(setup, users.alice);
      const claims = decodeJwt(tokens.access_token);
      const header = decodeProtectedHeader(tokens.access_token);
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT({ ...claims, scope: 'notes:read notes:write admin' }).setProtectedHeader({ ...header, alg: 'ES256' }).sign(privateKey);
      const [h, , s] = tokens.access_token.split('.');
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: users.bob.record.id })).toString('base64url')}.${s}`;
      const garbage = ['not-a-token', 'a.b.c', '...', `${h}..`, 'x'.repeat(4000), '\u00e9t\u00e9', forged, tampered];
      for (const subject of garbage) {
        const description = await expectRefused(await exchange(setup, app, { subject_token: subject, subject_token_type: ACCESS_TOKEN }), 'invalid_request');
        expect(description).not.toContain(subject.slice(0, 12));
        await expectRefused(await exchange(setup, app, { subject_token: subject, subject_token_type: ID_TOKEN }), 'invalid_request');
        await expectRefused(
          await exchange(setup, app, {
            subject_token: tokens.access_token,
            subject_token_type: ACCESS_TOKEN,
            actor_token: subject,
            actor_token_type: ACCESS_TOKEN,
          }),
          'invalid_request',
        );
      }
      // Revoked (RFC 7009, the access token alone).
      const revoked = await server.post('/revoke', { token: tokens.access_token }, { headers: { Authorization: basic(app.clientId, app.clientSecret) } });
      expect(revoked.status).toBe(200);
      await expectRefused(await exchange(setup, app, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN }), 'invalid_request');
      // Expired.
      const later = await userTokens(setup, users.alice);
      server.clock.advance(3601 * 1000);
      await expectRefused(await exchange(setup, app, { subject_token: later.access_token, subject_token_type: ACCESS_TOKEN }), 'invalid_request');
    });

    it('checks the request itself before any token: required parameters, token types, requested_token_type', async () => {
      const setup = await startExchange();
      const { app, users } = setup;
      const { access_token: token } = await userTokens(setup, users.alice);
      const cases: FormFields[] = [
        { subject_token_type: ACCESS_TOKEN },
        { subject_token: token },
        { subject_token: token, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' },
        { subject_token: token, subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
        { subject_token: token, subject_token_type: ACCESS_TOKEN, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
        { subject_token: token, subject_token_type: ACCESS_TOKEN, requested_token_type: ID_TOKEN },
        { subject_token: token, subject_token_type: ACCESS_TOKEN, actor_token_type: ACCESS_TOKEN },
        { subject_token: token, subject_token_type: ACCESS_TOKEN, actor_token: token },
        { subject_token: token, subject_token_type: ACCESS_TOKEN, actor_token: token, actor_token_type: 'urn:x:unknown' },
      ];
      for (const fields of cases) await expectRefused(await exchange(setup, app, fields), 'invalid_request');
      // A repeated single-valued parameter (RFC 6749 §3.2).
      await expectRefused(await exchange(setup, app, { subject_token: [token, token], subject_token_type: ACCESS_TOKEN }), 'invalid_request');
      // requested_token_type access_token is what is issued.
      const ok = await expectExchanged(
        await exchange(setup, app, { subject_token: token, subject_token_type: ACCESS_TOKEN, requested_token_type: ACCESS_TOKEN }),
      );
      expect(ok.issued_token_type).toBe(ACCESS_TOKEN);
    });

    it('100 concurrent exchanges of garbage and of another client’s token all answer 400, never 500', async () => {
      const setup = await startExchange();
      const { app, users } = setup;
      const { access_token: token } = await userTokens(setup, users.alice);
      const stranger = await setup.server.register({ grantTypes: [TOKEN_EXCHANGE_GRANT], scope: 'notes:read' });
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          i % 2 === 0
            ? exchange(setup, app, { subject_token: `${token.slice(0, -4)}AAAA`, subject_token_type: ACCESS_TOKEN })
            : exchange(setup, stranger, { subject_token: token, subject_token_type: ACCESS_TOKEN }),
        ),
      );
      const statuses = new Set(responses.map((response) => response.status));
      expect([...statuses]).toEqual([400]);
      for (const response of responses) expect((await errorBody(response)).error).toBe('invalid_request');
    });
  });

  it('audits every exchange, granted or refused, with client, subject, actor and audience, never a token', async () => {
    const setup = await startExchange();
    const { server, app, users } = setup;
    const tokens = await userTokens(setup, users.alice);
    await expectExchanged(
      await exchange(setup, app, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN, resource: CALENDAR, scope: 'notes:read' }),
    );
    await expectRefused(await exchange(setup, app, { subject_token: tokens.access_token, subject_token_type: ACCESS_TOKEN, scope: 'admin' }), 'invalid_scope');
    await server.server.close();
    const [granted] = await server.store.audit.tail(10, 'token.exchanged');
    expect(granted).toMatchObject({
      outcome: 'success',
      clientId: app.clientId,
      subject: users.alice.record.id,
      details: {
        actor: app.clientId,
        audience: [CALENDAR],
        scope: 'notes:read',
        subject_type: 'access_token',
        subject_client_id: app.clientId,
        impersonation: false,
      },
    });
    const [refused] = await server.store.audit.tail(10, 'token.exchange_refused');
    expect(refused).toMatchObject({ outcome: 'failure', clientId: app.clientId, subject: users.alice.record.id, details: { error: 'invalid_scope' } });
    const all = JSON.stringify(await server.store.audit.tail(100));
    expect(all).not.toContain(tokens.access_token.split('.')[2]);
  });

  it('is advertised in discovery', async () => {
    const setup = await startExchange();
    const metadata = (await (await setup.server.get('/.well-known/openid-configuration')).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
  });
});
