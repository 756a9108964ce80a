/**
 * Dynamic client registration under concurrency, on every store the server runs on (memory,
 * SQLite, PostgreSQL + Redis, where the rate-limit counters live in Redis as in production): an
 * initial access token's uses are counted atomically (spent before the client is made), and an open
 * registration flood from one address is cut at `registrationPerIp` whatever the concurrency.
 * Also: what the store keeps of a registration holds no registration access token, client secret
 * or initial access token in plain text (read back through the store on each backend, and the
 * whole SQLite file).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { issueInitialAccessToken } from '../../../src/server/clients/initial-access-tokens.js';
import { createAuditLog } from '../../../src/server/audit/audit-log.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Store } from '../../../src/stores/contract.js';
import { createSqliteStore } from '../../../src/stores/sqlite/index.js';
import { BACKENDS, closeBackends } from '../../helpers/backends.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { startServer, type TestServer } from '../../helpers/server.js';

/** Concurrent registrations per burst. */
const N = 120;
const NATIVE = { redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', client_name: 'Burst' };

afterAll(closeBackends);

function register(t: TestServer, body: unknown, from: string, token?: string): Promise<Response> {
  return t.server.fetch(
    new Request(`${t.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    }),
    { remoteAddress: from },
  );
}

/** An initial access token issued as the command and the admin API issue them. */
async function issue(t: TestServer, maxUses: number) {
  const audit = createAuditLog({ store: t.store, secretKeys: t.secretKeys, logger: silentLogger(), clock: t.clock });
  return issueInitialAccessToken({ store: t.store, clock: t.clock, secrets: t.secretKeys, audit }, { maxUses, clientTypes: ['public', 'confidential'] });
}

async function registeredClients(store: Store): Promise<number> {
  return (await store.clients.list({ limit: 1000 })).filter((client) => client.registration !== undefined).length;
}

describe.each(BACKENDS)('registration under concurrency, on $name', (backend) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const clock = new FakeClock(T0);

  it('sets up the backend', async () => {
    const opened = await backend.open(clock);
    close = opened.close;
    // Open registration: floods need no token; a presented initial access token is still counted.
    t = await startServer({ store: opened.store, clock, registration: { policy: 'open' }, ...opened.serverOptions });
  });

  afterAll(async () => {
    await t?.server.close();
    await close?.();
  });

  it(`${N} concurrent registrations with a 3-use initial access token (from ${N} addresses) create exactly 3 clients; the rest get 401`, async () => {
    const { token } = await issue(t, 3);
    const responses = await Promise.all(Array.from({ length: N }, (_, index) => register(t, NATIVE, `203.0.113.${index + 1}`, token)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(3);
    expect(statuses.filter((status) => status === 401)).toHaveLength(N - 3);
    expect(await registeredClients(t.store)).toBe(3);
    // Used up: refused from then on.
    expect((await register(t, NATIVE, '203.0.113.250', token)).status).toBe(401);
  });

  it(`a flood of ${N} concurrent open registrations from one address: exactly registrationPerIp (20) get through, the rest 429 before anything is read`, async () => {
    const before = await registeredClients(t.store);
    const responses = await Promise.all(Array.from({ length: N }, () => register(t, NATIVE, '192.0.2.66')));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(N - 20);
    const refused = responses.find((response) => response.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect((await registeredClients(t.store)) - before).toBe(20);
    // Refused even with an initial access token: the limit comes first.
    const { token } = await issue(t, 5);
    expect((await register(t, NATIVE, '192.0.2.66', token)).status).toBe(429);
    // Another address is not held back.
    expect((await register(t, NATIVE, '192.0.2.67', token)).status).toBe(201);
  });

  it('keeps no registration access token, client secret or initial access token in plain text', async () => {
    const { token } = await issue(t, 1);
    const response = await register(t, { redirect_uris: ['https://app.example/cb'], client_name: 'Web' }, '198.51.100.9', token);
    const body = (await response.json()) as Record<string, string>;
    expect(response.status).toBe(201);
    expect(body.client_secret).toEqual(expect.any(String));
    const stored = await t.store.clients.get(body.client_id!);
    expect(stored?.clientSecretHash).not.toBe(body.client_secret);
    const kept = JSON.stringify([stored, await t.store.artifacts.listByOwner('registration_iat', 'registration-iats', 1000)]);
    for (const secret of [body.client_secret!, body.registration_access_token!, token]) expect(kept).not.toContain(secret);
  });
});

describe('the SQLite file of a registration', () => {
  it('holds none of the credentials handed out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-registration-'));
    const clock = new FakeClock(T0);
    const store = createSqliteStore({ filename: join(dir, 'gatehouse.db'), clock });
    await store.migrate();
    const t = await startServer({ store, clock, registration: { policy: 'initial-access-token' } });
    try {
      const { token } = await issue(t, 2);
      const response = await register(t, { redirect_uris: ['https://app.example/cb'], client_name: 'Web' }, '198.51.100.9', token);
      const body = (await response.json()) as Record<string, string>;
      expect(response.status).toBe(201);
      await t.server.close();
      await store.close();
      const bytes = readdirSync(dir)
        .map((file) => readFileSync(join(dir, file)).toString('latin1'))
        .join('');
      expect(bytes).toContain(body.client_id);
      for (const secret of [body.client_secret!, body.registration_access_token!, token]) expect(bytes).not.toContain(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
