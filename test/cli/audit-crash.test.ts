/**
 * What `kill -9` leaves of the audit log, through the real binary on SQLite: `gatehouse start`
 * answers client_credentials token requests from many connections at once, is killed outright in
 * the middle, and the log it leaves still verifies, holding no more token.issued events than tokens
 * were issued and no fewer than the documented loss allows (`GATEHOUSE_AUDIT_MAX_QUEUED_EVENTS`
 * queued events, plus any logged as unstored).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, postForm, runCli, runCliOk, startServer } from '../helpers/cli.js';

/** Connections sending token requests at once. */
const CONNECTIONS = 32;
/** The queue bound the server runs with: small, so the lower bound below means something. */
const MAX_QUEUED_EVENTS = 500;
/** The kill comes once this many tokens were answered, or after {@link LOAD_MS}, whichever is first. */
const TOKENS_BEFORE_KILL = 2000;
const LOAD_MS = 3000;

interface AuditLine {
  type?: string;
  audit?: boolean;
  stored?: boolean;
  seq?: number | null;
  hash?: string | null;
}

describe('gatehouse start killed with SIGKILL under token load', () => {
  const workspace = createWorkspace();
  afterAll(async () => {
    await killAll();
    workspace.remove();
  });

  it('leaves an audit chain that verifies, with the token.issued events of the tokens answered, less at most the queue', async () => {
    const options = { cwd: workspace.cwd, dev: true };
    const data = ['--data', workspace.dataDir];
    // Only the audit log is under test: no rate limit may refuse the load.
    const unlimited = { points: 100_000_000 };
    writeFileSync(
      join(workspace.cwd, 'gatehouse.config.json'),
      JSON.stringify({ rateLimits: { tokenPerClient: unlimited, requestsPerIp: unlimited, clientAuthPerClientIp: unlimited } }),
    );
    await runCliOk(['migrate', ...data], options);
    const created = parseJson<{ client_id: string; client_secret: string }>(
      await runCliOk(['clients', 'add', '--name', 'Load', '--grant', 'client_credentials', '--scope', 'api:read', '--json', ...data], options),
    );
    const credentials = { clientId: created.client_id, clientSecret: created.client_secret };
    const server = await startServer({
      cwd: workspace.cwd,
      dataDir: workspace.dataDir,
      dev: true,
      env: { GATEHOUSE_AUDIT_MAX_QUEUED_EVENTS: String(MAX_QUEUED_EVENTS) },
    });

    let answered = 0;
    let refused = 0;
    let cutOff = 0;
    let killed = false;
    const statuses = new Set<number>();
    const connection = async () => {
      while (!killed) {
        let response: Response;
        try {
          response = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'api:read' }, credentials);
        } catch {
          // Sent, and killed before the answer came: the server may have issued (and recorded) it.
          cutOff += 1;
          return;
        }
        // The status line came: the server issued the token and queued its event.
        if (response.status === 200) answered += 1;
        else {
          refused += 1;
          statuses.add(response.status);
        }
        await response.arrayBuffer().catch(() => undefined);
      }
    };
    const load = Array.from({ length: CONNECTIONS }, () => connection());
    const started = Date.now();
    while (answered < TOKENS_BEFORE_KILL && Date.now() - started < LOAD_MS) await new Promise((resolve) => setTimeout(resolve, 10));
    killed = true;
    process.kill(server.pid, 'SIGKILL');
    expect(await server.stop()).toBeNull();
    // Answers already on their way still count: the server issued those tokens before it died.
    await Promise.all(load);
    expect({ refused, statuses: [...statuses] }).toEqual({ refused: 0, statuses: [] });
    expect(answered).toBeGreaterThan(100);

    // The chain, as the operator checks it.
    const verified = parseJson<{ ok: boolean; count: number; last_seq: number }>(await runCli(['audit', 'verify', '--json', ...data], options));
    expect(verified).toMatchObject({ ok: true });

    const db = new Database(join(workspace.dataDir, 'gatehouse.db'));
    let stored: number;
    let hashes: Map<number, string>;
    try {
      stored = (db.prepare("select count(*) as n from audit_events where type = 'token.issued'").get() as { n: number }).n;
      hashes = new Map((db.prepare('select seq, hash from audit_events').all() as { seq: number; hash: string }[]).map((row) => [row.seq, row.hash]));
    } finally {
      db.close();
    }

    // What the server printed before it died: every audit line it wrote for a stored event is in
    // the database as printed (sinks come after the store), and the ones it could not store say so.
    const lines = server
      .output()
      .stdout.split('\n')
      .flatMap((line): AuditLine[] => {
        try {
          return [JSON.parse(line) as AuditLine];
        } catch {
          return []; // the ready line's neighbours, or a line cut by the kill
        }
      })
      .filter((line) => line.audit === true && line.type === 'token.issued');
    const unstored = lines.filter((line) => line.stored === false).length;
    for (const line of lines.filter((entry) => entry.stored !== false)) expect(hashes.get(line.seq!), `#${line.seq}`).toBe(line.hash);

    // Never more events than tokens issued: those answered, and at most one per connection whose
    // answer the kill cut off.
    expect(stored).toBeLessThanOrEqual(answered + cutOff);
    expect(cutOff).toBeLessThanOrEqual(CONNECTIONS);
    // Never fewer than the documented loss allows.
    expect(stored).toBeGreaterThanOrEqual(answered - MAX_QUEUED_EVENTS - unstored);
  }, 60_000);
});
