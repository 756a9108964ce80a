/**
 * Every refusal of every admin API operation (issue 18), by sweep: the table of operations
 * (`ADMIN_OPERATIONS`) drives the test, so an operation added later is covered without editing it.
 * Through the fetch handler on the memory store, with real tokens: none, a malformed header, an
 * unknown, expired or revoked token, a token without the admin scopes, a read-only token writing
 * (nothing stored changes), a person whose role was taken away, and bad bodies. Every answer is
 * spec-shaped (RFC 6749 §5.2, RFC 6750 §3.1) and never repeats what the request sent.
 */
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeAdminRole, grantAdminRole } from '../../../src/server/admin/users.js';
import { listUserSessions } from '../../../src/server/admin/user-sessions.js';
import { ADMIN_OPERATIONS, type AdminOperation } from '../../../src/server/admin-api/operations.js';
import { ROUTES, urlTo, type RouteName } from '../../../src/server/routes.js';
import { signInForAdmin, withTotp } from '../../helpers/admin-tokens.js';
import { registerFlowClient, seedUsers, type TestUser, type UserName } from '../../helpers/flow.js';
import { startServer, type TestClient, type TestServer } from '../../helpers/server.js';

/** A string no answer may contain: every input the sweep sends carries it. */
const MARKER = 'SWEEP-MARKER-7f3a';

/** The error codes of RFC 6749 §5.2 and §4.1.2.1 and RFC 6750 §3.1. */
const SPEC_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'unsupported_response_type',
  'server_error',
  'temporarily_unavailable',
  'invalid_token',
  'insufficient_scope',
]);

/** RFC 6749 §5.2: `error_description` is %x20-21 / %x23-5B / %x5D-7E. */
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

/** A valid body for each operation that takes one, so a refusal is about the caller, not the body. */
const VALID_BODIES: Record<string, object> = {
  createClient: { client_name: 'Sweep', grant_types: ['client_credentials'] },
  updateClient: { resources: ['https://api.example.com'] },
  createUser: { username: 'sweep-user' },
  updateUser: { disabled: true },
  inviteUser: { email: 'sweep@example.com' },
};

const OPERATIONS: readonly AdminOperation[] = ADMIN_OPERATIONS;

let t: TestServer;
let users: Record<UserName, TestUser>;
let victim: TestClient;
/** The values of the route parameters: real records, so a write that got through would show. */
let realParams: Record<string, string>;
const tokens = { admin: '', read: '', plain: '', expired: '', revoked: '', formerAdmin: '', neverAdmin: '' };

beforeAll(async () => {
  t = await startServer({ admin: { api: true } });
  users = await seedUsers(t.store);
  const admin = await t.register({ name: 'automation', scope: 'admin' });
  // Issued first, then the clock moves past its lifetime (3600 s): expired for the whole sweep.
  tokens.expired = await t.issueToken(admin, { scope: 'admin' });
  t.clock.advance(3601_000);
  tokens.admin = await t.issueToken(admin, { scope: 'admin' });
  tokens.read = await t.issueToken(await t.register({ name: 'dashboard', scope: 'admin:read' }), { scope: 'admin:read' });
  tokens.plain = await t.issueToken(await t.register({ name: 'api', scope: 'read write' }));
  tokens.revoked = await t.issueToken(admin, { scope: 'admin' });
  const revocation = await t.post('/revoke', { token: tokens.revoked }, { headers: { Authorization: basic(admin) } });
  expect(revocation.status).toBe(200);
  victim = await t.register({ name: 'victim', scope: 'read' });

  // alice signs in as an admin (a session, a consent, an admin token), then loses the role.
  const app = await registerFlowClient(t, { name: 'Admin tool', scope: 'openid admin admin:read' });
  await grantAdminRole(t.store, t.clock, 'alice');
  const signedIn = await signInForAdmin(t, app, users.alice, await withTotp(t, users.alice));
  expect(
    (
      await send(
        OPERATIONS.find((operation) => operation.scope === 'admin:read')!,
        bearer(signedIn.access_token),
      )
    ).status,
  ).toBe(200);
  await revokeAdminRole(t.store, t.clock, 'alice');
  tokens.formerAdmin = signedIn.access_token;
  // bob, who never held the role, asks for the admin scopes too: he gets a token without them.
  const bobs = await signInForAdmin(t, app, users.bob, await withTotp(t, users.bob), 'openid admin admin:read');
  expect(bobs.scope).toBe('openid');
  tokens.neverAdmin = bobs.access_token;

  const [consent] = await t.store.consents.listBySubject(users.alice.record.id);
  const [session] = (await listUserSessions(t.store, users.alice.record.id)).items;
  realParams = { consentId: consent!.id, sid: session!.sid };
});

afterAll(async () => {
  await t.server.close();
});

function basic(client: TestClient): string {
  return `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/**
 * The operation's URL from the route table, each `:param` filled: `:id` with the victim client or
 * alice (by the collection it follows), other parameters with alice's real consent or session, and
 * a made-up value for a parameter the sweep does not know yet.
 */
function urlOf(operation: AdminOperation): string {
  const pattern: string = ROUTES[operation.route];
  const params = Object.fromEntries(
    [...pattern.matchAll(/:([A-Za-z]+)/g)].map(([, name]) => {
      if (name === 'id') return [name, pattern.includes('/clients/:id') ? victim.clientId : users.alice.record.id];
      return [name!, realParams[name!] ?? `made-up-${name!}`];
    }),
  );
  const fill = urlTo as (ctx: { config: { issuerUrl: URL } }, name: RouteName, params: Record<string, string>) => string;
  return fill({ config: { issuerUrl: new URL(t.issuer) } }, operation.route, params);
}

/** Calls the operation with `headers`, and `body` (JSON text, or a value to encode) when it takes one: its valid body by default. */
function send(operation: AdminOperation, headers: Record<string, string>, body: unknown = VALID_BODIES[operation.id] ?? {}): Promise<Response> {
  const withBody = operation.request !== undefined;
  return t.server.fetch(
    new Request(urlOf(operation), {
      method: operation.method,
      headers: { ...headers, ...(withBody ? { 'Content-Type': 'application/json' } : {}) },
      ...(withBody ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    }),
  );
}

/** What an admin API error body holds. */
interface ErrorBody {
  error: string;
  error_description?: string;
  fields?: { field: string; message: string }[];
}

/**
 * Asserts a spec-shaped refusal: `status` (never a 500), a JSON body whose `error` is `error` (one
 * of RFC 6749/6750's), a description in RFC 6749's character set, nothing of the marker anywhere,
 * and for a bearer refusal the same error in `WWW-Authenticate`.
 */
async function expectRefusal(response: Response, status: number, error: string): Promise<ErrorBody> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(text).not.toContain(MARKER);
  expect(response.headers.get('www-authenticate') ?? '').not.toContain(MARKER);
  const body = JSON.parse(text) as ErrorBody;
  expect(SPEC_ERRORS.has(body.error)).toBe(true);
  expect(body.error).toBe(error);
  expect(body.error_description ?? '').toMatch(DESCRIPTION_CHARS);
  for (const field of body.fields ?? []) expect(`${field.field} ${field.message}`).toMatch(/^[\x20-\x7E]+$/);
  if (error === 'invalid_token' || error === 'insufficient_scope') {
    expect(response.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer realm="[^"]*", error="${error}"`));
  }
  return body;
}

/** What a write that got through would change: clients, users, keys, and alice's consents, sessions and factors. */
async function snapshot(): Promise<unknown> {
  const sub = users.alice.record.id;
  return {
    clients: await t.store.clients.list(),
    users: await t.store.users.list(),
    keys: await t.store.keys.list(),
    consents: await t.store.consents.listBySubject(sub),
    sessions: await listUserSessions(t.store, sub),
    factors: await t.store.factors.listByUser(sub),
  };
}

/** A value of the wrong JSON type for a member's `schema`, carrying the marker when it can; `undefined` when none is found. */
function wrongTypeFor(schema: z.ZodType): unknown {
  const candidates = [[MARKER], { [MARKER]: MARKER }, 7, MARKER];
  return candidates.find((candidate) => {
    const result = schema.safeParse(candidate);
    return !result.success && result.error.issues[0]?.code === 'invalid_type' && result.error.issues[0].path.length === 0;
  });
}

describe.each(OPERATIONS.map((operation) => ({ ...operation, label: `${operation.method} ${ROUTES[operation.route]}` })))('$id ($label)', (operation) => {
  it('answers 401 with a bare Bearer challenge and no body without a token (RFC 6750 §3.1)', async () => {
    const response = await send(operation, {});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer( realm="[^"]*")?$/);
    expect(await response.text()).toBe('');
  });

  it('answers 400 invalid_request to an Authorization header that is not one Bearer token', async () => {
    for (const header of [`Basic ${btoa(`${MARKER}:x`)}`, 'Bearer', `Bearer ${MARKER} ${MARKER}`, `Bearer "${MARKER}"`, MARKER]) {
      await expectRefusal(await send(operation, { Authorization: header }), 400, 'invalid_request');
    }
  });

  it('answers 401 invalid_token to an unknown, forged, expired or revoked token', async () => {
    for (const token of [MARKER, `${tokens.admin.slice(0, -4)}AAAA`, tokens.expired, tokens.revoked]) {
      await expectRefusal(await send(operation, bearer(token)), 401, 'invalid_token');
    }
  });

  it('answers 403 insufficient_scope, naming the scope it needs, to a token without admin or admin:read', async () => {
    const response = await send(operation, bearer(tokens.plain));
    const challenge = response.headers.get('www-authenticate');
    await expectRefusal(response, 403, 'insufficient_scope');
    expect(challenge).toContain(`scope="${operation.scope}"`);
  });

  it("answers 403 to a person's token whose user does not hold the admin role (any more, or ever)", async () => {
    const before = await snapshot();
    for (const token of [tokens.formerAdmin, tokens.neverAdmin]) {
      await expectRefusal(await send(operation, bearer(token)), 403, 'insufficient_scope');
    }
    expect(await snapshot()).toEqual(before);
  });

  if (operation.scope === 'admin') {
    it('answers 403 insufficient_scope to an admin:read token, and changes nothing', async () => {
      const before = await snapshot();
      const response = await send(operation, bearer(tokens.read));
      const challenge = response.headers.get('www-authenticate');
      await expectRefusal(response, 403, 'insufficient_scope');
      expect(challenge).toContain('scope="admin"');
      expect(await snapshot()).toEqual(before);
    });
  }

  const schema = operation.request;
  if (schema !== undefined) {
    it('refuses a body that is not JSON, a JSON array and a wrong-typed member (400, the fields named, the input never repeated)', async () => {
      const admin = bearer(tokens.admin);
      const before = await snapshot();
      await expectRefusal(await send(operation, admin, `{"${MARKER}": ${MARKER}`), 400, 'invalid_request');

      const array = await expectRefusal(await send(operation, admin, [MARKER]), 400, 'invalid_request');
      expect(array.fields).toEqual([{ field: '(body)', message: expect.stringMatching(/^must be of type object/) }]);

      // A JSON body is an object: its members are the schema's.
      expect(schema).toBeInstanceOf(z.ZodObject);
      const shape: Record<string, z.ZodType> = (schema as z.ZodObject).shape;
      const [member, wrong] = Object.entries(shape)
        .map(([name, memberSchema]) => [name, wrongTypeFor(memberSchema)] as const)
        .find(([, value]) => value !== undefined)!;
      const typed = await expectRefusal(await send(operation, admin, { ...(VALID_BODIES[operation.id] ?? {}), [member]: wrong }), 400, 'invalid_request');
      expect(typed.fields).toContainEqual({ field: member, message: expect.stringMatching(/^must be of type /) });
      expect(await snapshot()).toEqual(before);
    });
  }
});

describe('the sweep', () => {
  it('fills every parameter of every route (pathTo reads camelCase names such as :consentId)', () => {
    for (const operation of OPERATIONS) expect(new URL(urlOf(operation)).pathname, operation.id).not.toContain(':');
    const revokeConsent = OPERATIONS.find((operation) => ROUTES[operation.route].includes(':consentId'))!;
    expect(urlOf(revokeConsent).endsWith(`/${encodeURIComponent(realParams.consentId!)}`)).toBe(true);
  });

  it("keeps its valid bodies valid (an operation without one is swept with an empty object's)", () => {
    for (const [id, body] of Object.entries(VALID_BODIES)) {
      expect(OPERATIONS.find((operation) => operation.id === id)?.request?.safeParse(body).success, id).toBe(true);
    }
  });
});
