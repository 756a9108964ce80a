/**
 * The admin API on every backend (memory, SQLite, PostgreSQL + Redis when it answers): pages of
 * clients, a taken username or email (a `409`, never a 500), a removal, the audit search (paged by
 * its next link) and the chain's verification.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, closeBackends } from '../../helpers/backends.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { startServer } from '../../helpers/server.js';

afterAll(closeBackends);

describe.each(BACKENDS)('the admin API on $name', (backend) => {
  it('pages clients, refuses a taken username or email with 409, removes a user, searches and verifies the audit log', async () => {
    const clock = new FakeClock();
    const opened = await backend.open(clock);
    const t = await startServer({ ...opened.serverOptions, store: opened.store, clock });
    try {
      const admin = await t.register({ name: 'automation', scope: 'admin' });
      const token = await t.issueToken(admin, { scope: 'admin' });
      const call = (method: string, path: string, body?: unknown) =>
        t.server.fetch(
          new Request(`${t.issuer}/admin/api/v1${path}`, {
            method,
            headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          }),
        );
      for (const name of ['one', 'two', 'three']) expect((await call('POST', '/clients', { client_name: name, scope: 'read' })).status).toBe(201);
      const first = (await (await call('GET', '/clients?limit=3')).json()) as { items: { client_name: string }[] };
      const second = (await (await call('GET', '/clients?limit=3&offset=3')).json()) as { items: { client_name: string }[] };
      expect([...first.items, ...second.items].map((item) => item.client_name).sort()).toEqual(['automation', 'one', 'three', 'two']);

      expect((await call('POST', '/users', { username: 'erin', email: 'erin@example.com' })).status).toBe(201);
      expect((await call('POST', '/users', { username: 'frank', email: 'frank@example.com' })).status).toBe(201);
      expect((await call('POST', '/users', { username: 'erin' })).status).toBe(409);
      expect((await call('PATCH', '/users/frank', { email: 'erin@example.com' })).status).toBe(409);
      expect((await call('DELETE', '/users/erin')).status).toBe(204);
      expect((await call('GET', '/users/erin')).status).toBe(404);

      // The audit search, paged by its next link.
      const page = (await (await call('GET', '/audit/events?type=admin.user_created&limit=1')).json()) as { events: { seq: number }[]; next: string };
      expect(page.events).toHaveLength(1);
      const rest = (await (await call('GET', page.next.slice('/admin/api/v1'.length))).json()) as { events: { seq: number }[]; next: null };
      expect(rest.events.map((event) => event.seq)).toEqual([expect.any(Number)]);
      expect(rest.events[0]!.seq).toBeLessThan(page.events[0]!.seq);
      expect(rest.next).toBeNull();
      // A user filter resolves a username to the sub; an unknown name is no error, just no events.
      for (const user of ['frank', 'nobody']) expect((await call('GET', `/audit/events?user=${user}`)).status).toBe(200);
      const verified = (await (await call('POST', '/audit/verify')).json()) as { ok: boolean; count: number };
      expect(verified).toMatchObject({ ok: true });
      expect(verified.count).toBeGreaterThan(5);
    } finally {
      await t.server.close();
      await opened.close();
    }
  });
});
