/**
 * The device flow under attack, on every store the server runs on (memory, SQLite, PostgreSQL +
 * Redis with the rate-limit counters in Redis):
 * - user-code guessing (RFC 8628 §5.1): bursts of concurrent wrong codes are looked up at most as
 *   many times as the per-address budget, and, from any number of addresses, the installation's;
 * - the device code is single-use under concurrent polls: exactly one poll gets the tokens.
 *
 * "Looked up" is read from the answer: a wrong code that was looked up gets the form again (400),
 * a refused one the "too many attempts" page (429) without any lookup; a right one goes on (303).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decideDeviceAuthorization, findByUserCode, pollDeviceAuthorization, redeemDeviceApproval } from '../../../src/server/device/device-authorizations.js';
import { newUserCode } from '../../../src/server/device/user-code.js';
import type { Store } from '../../../src/stores/contract.js';
import { BACKENDS, closeBackends } from '../../helpers/backends.js';
import { approveOnPage, poll, registerDeviceClient, startDevice, type DeviceAuthorization } from '../../helpers/device.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { Browser, findForm, seedUsers, type FlowClient, type TestUser } from '../../helpers/flow.js';
import { startServer, type TestServer, type TestServerOptions } from '../../helpers/server.js';

/** Concurrent requests per burst. */
const N = 120;
const PER_IP = 20;
const GLOBAL = 30;

afterAll(closeBackends);

/** The /device form as one browser was shown it: its hidden fields and the cookie they are bound to. */
interface DeviceForm {
  server: TestServer;
  action: string;
  fields: Record<string, string>;
  cookie: string;
}

async function deviceForm(server: TestServer): Promise<DeviceForm> {
  const browser = new Browser(server);
  const page = await browser.open('/device');
  const form = findForm(page, '/device');
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  return { server, action: new URL(form.action, page.url).href, fields: form.fields, cookie };
}

/** Posts `code` on the form, from `address`, without following the answer. */
function enter(form: DeviceForm, code: string, address: string): Promise<Response> {
  return form.server.server.fetch(
    new Request(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
      body: new URLSearchParams({ ...form.fields, user_code: code }),
    }),
    { remoteAddress: address },
  );
}

/** A user code that is not `real` (each is one of 20^8). */
function wrongCode(real: string): string {
  for (;;) {
    const code = newUserCode();
    if (code !== real.replace('-', '')) return code;
  }
}

describe.each(BACKENDS)('device flow abuse, on $name', (backend) => {
  const clock = new FakeClock(T0 + 15_000);
  let store: Store;
  let close: () => Promise<void>;
  let serverOptions: Pick<TestServerOptions, 'protection'>;
  let servers: TestServer[] = [];
  let users: Record<'alice' | 'bob', TestUser>;

  /** A server on the backend with its own rate-limit budgets (`protection.rateLimits`). */
  async function serverWith(rateLimits: Record<string, { points: number; seconds: number }>): Promise<{ server: TestServer; client: FlowClient }> {
    const server = await startServer({
      store,
      clock,
      ...serverOptions,
      protection: { ...serverOptions.protection, rateLimits },
    });
    servers.push(server);
    return { server, client: await registerDeviceClient(server) };
  }

  it('sets up the backend', async () => {
    const opened = await backend.open(clock);
    ({ store, close, serverOptions } = opened);
    users = await seedUsers(store);
  });

  afterAll(async () => {
    for (const server of servers) await server.server.close();
    servers = [];
    await close?.();
  });

  it(`${N} concurrent wrong codes from one address, the right one inside: at most ${PER_IP} are looked up, the rest get 429`, async () => {
    // A separate counter prefix per server is not needed: each test uses addresses of its own.
    const { server, client } = await serverWith({ deviceCodePerIp: { points: PER_IP, seconds: 3600 } });
    const device = await startDevice(server, client);
    const form = await deviceForm(server);
    const right = Math.floor(N / 2);
    const responses = await Promise.all(
      Array.from({ length: N + 1 }, (_, index) => enter(form, index === right ? device.user_code : wrongCode(device.user_code), '203.0.113.10')),
    );
    const statuses = responses.map((response) => response.status);
    const lookedUpWrong = statuses.filter((status) => status === 400).length;
    expect(lookedUpWrong).toBeLessThanOrEqual(PER_IP);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(N - PER_IP);
    expect(statuses.every((status) => [303, 400, 429].includes(status))).toBe(true);
    // The right code, if it got through, gave its point back; either way the budget is spent now.
    expect(statuses[right] === 303 || statuses[right] === 429).toBe(true);
    expect((await enter(form, wrongCode(device.user_code), '203.0.113.10')).status).toBe(429);
    // Another address is not held back by this one's budget.
    expect((await enter(form, device.user_code, '203.0.113.11')).status).toBe(303);
  }, 60_000);

  it(`${N} concurrent wrong codes from ${N} addresses: at most ${GLOBAL} are looked up across the installation`, async () => {
    const { server, client } = await serverWith({ deviceCodeGlobal: { points: GLOBAL, seconds: 3600 } });
    const device = await startDevice(server, client);
    const form = await deviceForm(server);
    const responses = await Promise.all(Array.from({ length: N }, (_, index) => enter(form, wrongCode(device.user_code), `198.51.100.${index + 1}`)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 400).length).toBeLessThanOrEqual(GLOBAL);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(N - GLOBAL);
    expect(statuses.every((status) => [400, 429].includes(status))).toBe(true);
    // Spent for everyone: a fresh address is refused too, without a lookup.
    expect((await enter(form, device.user_code, '192.0.2.200')).status).toBe(429);
  }, 60_000);

  it(`${N} concurrent polls of an approved device code: exactly one gets the tokens`, async () => {
    // Enough client authentications for the whole burst from one address: the poll itself is under test.
    const { server, client } = await serverWith({ clientAuthPerClientIp: { points: 10 * N, seconds: 60 } });
    const device: DeviceAuthorization = await startDevice(server, client);
    await approveOnPage(new Browser(server), device, users.alice);
    const responses = await Promise.all(Array.from({ length: N }, () => poll(server, client, device.device_code)));
    const bodies = await Promise.all(
      responses.map(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> })),
    );
    const issued = bodies.filter((entry) => entry.status === 200);
    expect(issued).toHaveLength(1);
    expect(issued[0]!.body.access_token).toEqual(expect.any(String));
    for (const refused of bodies.filter((entry) => entry.status !== 200)) {
      expect(refused.status).toBe(400);
      expect(['slow_down', 'invalid_grant']).toContain(refused.body.error);
    }
    // Later polls, at any pace, get nothing more.
    clock.advance(3600_000 - 1);
    const late = await poll(server, client, device.device_code);
    expect(late.status).toBe(400);
    expect(((await late.json()) as { error: string }).error).not.toBe('authorization_pending');
    const issuedEvents = (await store.audit.list({ type: 'device.authorization_approved', limit: 100 })).filter((event) => event.clientId === client.clientId);
    expect(issuedEvents).toHaveLength(1);
  }, 60_000);

  it(`${N} concurrent redemptions of one approval (past the poll gate): exactly one succeeds`, async () => {
    const { server, client } = await serverWith({});
    const device = await startDevice(server, client);
    const ctx = { clock, store, secrets: server.secretKeys };
    const pending = (await findByUserCode(ctx, device.user_code))!;
    const approval = { sub: users.alice.record.id, scope: ['openid'], consentId: 'c', authTime: 1, amr: ['pwd'], acr: '1', sid: 's' };
    const decided = await Promise.all(Array.from({ length: N }, () => decideDeviceAuthorization(ctx, pending, { outcome: 'approved', ...approval })));
    expect(decided.filter(Boolean)).toHaveLength(1);
    const polled = await pollDeviceAuthorization(ctx, device.device_code, client.clientId);
    expect(polled.status).toBe('approved');
    const redeemed = await Promise.all(Array.from({ length: N }, () => redeemDeviceApproval(ctx, pending.id)));
    expect(redeemed.filter(Boolean)).toHaveLength(1);
  }, 60_000);

  it('a device polling at its interval is pending every time; sooner, slow_down (the poll sequence holds on this store)', async () => {
    const { server, client } = await serverWith({});
    const device = await startDevice(server, client);
    const errorOf = async () => ((await (await poll(server, client, device.device_code)).json()) as { error: string }).error;
    for (let index = 0; index < 12; index += 1) {
      expect(await errorOf()).toBe('authorization_pending');
      clock.advance(device.interval * 1000);
    }
    expect(await errorOf()).toBe('authorization_pending');
    expect(await errorOf()).toBe('slow_down');
    // The interval grew by 5 s, counted from the last poll that went on.
    clock.advance(device.interval * 1000 + 4_999);
    expect(await errorOf()).toBe('slow_down');
    clock.advance(5_001);
    expect(await errorOf()).toBe('authorization_pending');
  }, 60_000);
});
