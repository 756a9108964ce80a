/**
 * The audit log end to end, through the real binary: a running server records what happens, the
 * operator verifies and tails the log, and an event edited with plain SQL is named by `verify`.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, postForm, runCli, runCliOk, startServer } from '../helpers/cli.js';

describe('gatehouse audit (end to end)', () => {
  const workspace = createWorkspace();
  afterAll(async () => {
    await killAll();
    workspace.remove();
  });

  it('records server and CLI events, verifies an untouched log, and names an event edited with SQL', async () => {
    const options = { cwd: workspace.cwd, dev: true };
    const data = ['--data', workspace.dataDir];
    await runCliOk(['migrate', ...data], options);
    const created = parseJson<{ client_id: string; client_secret: string }>(
      await runCliOk(['clients', 'add', '--name', 'Audited job', '--grant', 'client_credentials', '--scope', 'api:read', '--json', ...data], options),
    );
    const server = await startServer({
      cwd: workspace.cwd,
      dataDir: workspace.dataDir,
      dev: true,
      env: { GATEHOUSE_AUDIT_FILE: join(workspace.dataDir, 'audit.jsonl') },
    });
    const credentials = { clientId: created.client_id, clientSecret: created.client_secret };
    expect((await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' }, credentials)).status).toBe(200);
    expect(
      (await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' }, { ...credentials, clientSecret: 'wrong-secret-0123456789-abcdefghijkl' }))
        .status,
    ).toBe(401);
    expect((await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' }, credentials)).status).toBe(200);
    expect(await server.stop()).toBe(0);

    const tail = parseJson<{ type: string; client_id: string | null; ip: string | null; outcome: string }[]>(
      await runCliOk(['audit', 'tail', '--json', ...data], options),
    );
    const types = tail.map((event) => event.type);
    expect(types).toContain('client.created');
    expect(types.filter((type) => type === 'token.issued')).toHaveLength(2);
    const issued = tail.find((event) => event.type === 'token.issued')!;
    expect(issued).toMatchObject({ client_id: created.client_id, ip: '127.0.0.1', outcome: 'success' });
    // Never the secret, in the database or the file.
    const raw = JSON.stringify(tail);
    expect(raw).not.toContain(created.client_secret);

    const intact = await runCli(['audit', 'verify', ...data], options);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/audit log intact: \d+ events/);

    const db = new Database(join(workspace.dataDir, 'gatehouse.db'));
    db.prepare("UPDATE audit_events SET client_id = 'someone-else' WHERE seq = 2").run();
    db.close();
    const broken = await runCli(['audit', 'verify', ...data], options);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('audit log broken at event #2 (edited)');
  }, 60_000);
});
