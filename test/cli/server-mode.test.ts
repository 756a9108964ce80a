/**
 * The command through a running server's admin API (issue 18): `gatehouse clients|users|keys|audit ...
 * --server URL` with an admin token, against a real `gatehouse start` with the admin API on. The
 * same commands, arguments and output as on the database; the server does the work and audits it;
 * its refusals come back as one clean line and a non-zero exit; a bad or silent server fails
 * within the deadline.
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlTo } from '../../src/server/routes.js';
import { createWorkspace, killAll, parseJson, runCli, runCliOk, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';

let ws: Workspace;
let server: RunningServer;
let adminToken: string;
let readToken: string;

/** Runs the command on the server's database (the operator on the machine). */
function local(args: string[], stdin?: string) {
  return runCliOk([...args, '--data', ws.dataDir], { cwd: ws.cwd, dev: true, ...(stdin === undefined ? {} : { stdin }) });
}

/** Runs the command through the server, the token in GATEHOUSE_ADMIN_TOKEN (as the docs advise). */
function remote(args: string[], token = adminToken, options: { stdin?: string; env?: Record<string, string> } = {}) {
  return runCli([...args, '--server', server.issuer], {
    cwd: ws.cwd,
    env: { GATEHOUSE_ADMIN_TOKEN: token, ...options.env },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
}

async function remoteOk(args: string[], token = adminToken, options: { stdin?: string; env?: Record<string, string> } = {}) {
  const result = await remote(args, token, options);
  if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} --server exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

/** A client_credentials token for a client registered on the database with `scope`. */
async function tokenFor(scope: string): Promise<string> {
  const client = parseJson<{ client_id: string; client_secret: string }>(
    await local(['clients', 'add', '--name', `automation ${scope}`, '--grant', 'client_credentials', '--scope', scope, '--json']),
  );
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  ws = createWorkspace();
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true, env: { GATEHOUSE_ADMIN_API: 'true' } });
  adminToken = await tokenFor('admin');
  readToken = await tokenFor('admin:read');
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await killAll();
  ws?.remove();
});

describe('gatehouse clients --server', () => {
  it('adds a client, lists it, shows it, rotates its secret and removes it, through the API', async () => {
    const added = parseJson(await remoteOk(['clients', 'add', '--name', 'Billing', '--redirect-uri', 'https://billing.example/callback', '--json']));
    expect(added).toMatchObject({
      client_name: 'Billing',
      redirect_uris: ['https://billing.example/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
    });
    expect(added.client_secret).toEqual(expect.any(String));
    const id = added.client_id as string;

    const listed = parseJson<Record<string, unknown>[]>(await remoteOk(['clients', 'list', '--json']));
    expect(listed.map((client) => client.client_id)).toContain(id);
    // The same table as on the database.
    expect((await remoteOk(['clients', 'list'])).stdout).toBe((await local(['clients', 'list'])).stdout);

    const rotated = parseJson<{ client_id: string; client_secret: string }>(await remoteOk(['clients', 'rotate-secret', id, '--json']));
    expect(rotated.client_id).toBe(id);
    expect(rotated.client_secret).not.toBe(added.client_secret);

    const removed = await remoteOk(['clients', 'remove', id]);
    expect(removed.stderr).toBe(`removed client ${id}\n`);
    const gone = await remote(['clients', 'show', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`error: ${new URL(server.issuer).origin} refused (404 invalid_request): no client with this id\n`);
  });

  it('adds a token exchange client with its policy (RFC 8693), as on the database', async () => {
    const grant = 'urn:ietf:params:oauth:grant-type:token-exchange';
    // Each API is served by one client: the two registrations serve two.
    const args = (api: string) => [
      'clients',
      'add',
      '--name',
      'Notes API',
      '--grant',
      grant,
      '--scope',
      'notes:read',
      '--exchange-impersonation',
      '--resource-server',
      '--serves',
      api,
      '--json',
    ];
    const policy = (api: string) => ({ grant_types: [grant], served_resources: [api], token_exchange: { impersonation: true } });
    expect(parseJson(await remoteOk(args('https://notes.example/')))).toMatchObject(policy('https://notes.example/'));
    expect(parseJson(await local(args('https://notes.example/v2')))).toMatchObject(policy('https://notes.example/v2'));
  });

  it('shows the fields the server refuses, in one line', async () => {
    const result = await remote(['clients', 'add', '--name', 'Plain', '--redirect-uri', 'http://app.example/cb']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: \S+ refused \(400 invalid_request\): the request has invalid fields; redirect_uris .*https.*\n$/);
  });
});

describe('gatehouse users --server', () => {
  it('creates a user, unlocks them, signs them out, grants and revokes the admin role', async () => {
    const created = parseJson(
      await remoteOk(['users', 'add', '--username', 'dora', '--email', 'dora@example.com', '--password-stdin', '--json'], adminToken, {
        stdin: 'dora-password-1\n',
      }),
    );
    expect(created).toMatchObject({ username: 'dora', email: 'dora@example.com', has_password: true, roles: [] });

    expect((await remoteOk(['users', 'unlock', 'dora'])).stderr).toMatch(/^unlocked dora/);
    expect((await remoteOk(['users', 'revoke-sessions', 'dora'])).stderr).toMatch(/^signed dora out everywhere \(0 session\(s\)\)/);

    expect((await remoteOk(['users', 'grant-admin', 'dora'])).stderr).toBe('dora holds the admin role\n');
    expect(parseJson(await local(['users', 'show', 'dora', '--json']))).toMatchObject({ roles: ['admin'] });
    expect((await remoteOk(['users', 'list'])).stdout).toMatch(/dora .*admin/);
    await remoteOk(['users', 'revoke-admin', 'dora']);
    expect(parseJson(await remoteOk(['users', 'show', 'dora', '--json']))).toMatchObject({ roles: [] });

    // The server audited each change with the calling client.
    const events = parseJson<{ type: string }[]>(await local(['audit', 'tail', '--json', '--limit', '50'])).map((event) => event.type);
    expect(events).toEqual(
      expect.arrayContaining(['admin.user_created', 'admin.user_unlocked', 'admin.user_sessions_revoked', 'admin.role_granted', 'admin.role_revoked']),
    );
  });

  it('refuses the database-only actions with --server, before calling anything', async () => {
    const result = await remote(['users', 'set-password', 'dora', '--password-stdin'], adminToken, { stdin: 'another-password\n' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/users set-password works on the database only/);
  });

  it('refuses an unknown user clearly', async () => {
    const result = await remote(['users', 'grant-admin', 'nobody']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refused \(404 invalid_request\): no user with this sub, username or email\n$/);
  });
});

describe('the admin path (GATEHOUSE_ADMIN_PATH)', () => {
  it('calls the API under the path the environment names, as the server reads it, and refuses a bad one', async () => {
    // This server serves the default /admin: under /ops nothing answers, and the message says where to look.
    const moved = await remote(['clients', 'list'], adminToken, { env: { GATEHOUSE_ADMIN_PATH: '/ops' } });
    expect(moved.code).toBe(1);
    expect(moved.stderr).toMatch(/has no admin API here \(404\).*GATEHOUSE_ADMIN_PATH/);
    const explicit = await remote(['clients', 'list', '--json'], adminToken, { env: { GATEHOUSE_ADMIN_PATH: '/admin' } });
    expect(explicit.code).toBe(0);
    const bad = await remote(['clients', 'list'], adminToken, { env: { GATEHOUSE_ADMIN_PATH: '/../x' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/GATEHOUSE_ADMIN_PATH must be a path/);
  });
});

describe('gatehouse keys --server', () => {
  it('lists and rotates the signing keys', async () => {
    const before = parseJson<{ kid: string; status: string }[]>(await remoteOk(['keys', 'list', '--json'], readToken));
    const fresh = parseJson<{ kid: string; status: string; alg: string }[]>(await remoteOk(['keys', 'rotate', '--json']));
    expect(fresh.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(fresh.every((key) => key.status === 'active' && !before.some((old) => old.kid === key.kid))).toBe(true);
    const after = parseJson<{ kid: string; status: string }[]>(await remoteOk(['keys', 'list', '--json']));
    expect(after.length).toBe(before.length + 2);
  });
});

/** The client an access token was issued to (its `client_id` claim; read, not verified). */
function clientOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { client_id: string }).client_id;
}

describe('gatehouse audit --server', () => {
  it('tails the audit log through GET /audit/events, across pages, with the same filters and output as on the database', async () => {
    // 505 events of one type: more than one page of the API (500 at most).
    for (let sent = 0; sent < 505; sent += 50) {
      const calls = Array.from({ length: Math.min(50, 505 - sent) }, () =>
        fetch(urlTo({ config: { issuerUrl: new URL(server.issuer) } }, 'adminApiSettings'), { headers: { Authorization: `Bearer ${adminToken}` } }).then(
          (response) => response.arrayBuffer(),
        ),
      );
      await Promise.all(calls);
    }
    const tail = ['audit', 'tail', '--type', 'admin.settings_shown', '--limit', '502', '--json'];
    const remoteEvents = parseJson<{ seq: number; type: string }[]>(await remoteOk(tail, readToken));
    expect(remoteEvents).toHaveLength(502);
    expect(remoteEvents.every((event) => event.type === 'admin.settings_shown')).toBe(true);
    // Oldest first, as on the database, event for event.
    expect(remoteEvents.map((event) => event.seq)).toEqual(remoteEvents.map((event) => event.seq).sort((a, b) => a - b));
    expect(remoteEvents).toEqual(parseJson(await local(tail)));
    const table = ['audit', 'tail', '--type', 'admin.settings_shown', '--limit', '3'];
    expect((await remoteOk(table)).stdout).toBe((await local(table)).stdout);

    // A refusal, found by client, outcome and time.
    const since = new Date(Date.now() - 1000).toISOString();
    expect((await remote(['clients', 'add', '--name', 'Refused'], readToken)).code).toBe(1);
    const filters = ['audit', 'tail', '--client', clientOf(readToken), '--outcome', 'failure', '--from', since, '--type', 'admin.request_refused', '--json'];
    const refusals = parseJson<{ type: string; client_id: string; details: Record<string, unknown> }[]>(await remoteOk(filters));
    expect(refusals).toEqual([expect.objectContaining({ client_id: clientOf(readToken), details: expect.objectContaining({ operation: 'createClient' }) })]);
    expect(refusals).toEqual(parseJson(await local(filters)));

    // The server audited the searches with the caller, naming the filters, never their values.
    const [searched] = parseJson<{ details: { filters: string[] } }[]>(
      await local(['audit', 'tail', '--type', 'admin.audit_searched', '--limit', '1', '--json']),
    );
    expect(searched!.details.filters.sort()).toEqual(['client', 'from', 'outcome', 'type']);
  });

  it('verifies the chain through POST /audit/verify, as on the database', async () => {
    const verified = await remoteOk(['audit', 'verify', '--json'], readToken);
    const result = parseJson<{ ok: boolean; count: number; last_seq: number }>(verified);
    expect(result).toMatchObject({ ok: true, count: expect.any(Number), last_seq: expect.any(Number) });
    // The server recorded the verification after it: one event more on the database.
    const after = parseJson<{ ok: boolean; count: number }>(await local(['audit', 'verify', '--json']));
    expect(after).toMatchObject({ ok: true, count: result.count + 1 });
    expect((await remoteOk(['audit', 'verify'])).stdout).toMatch(/^audit log intact: \d+ events\nlast event: #\d+ \S+\n$/);
  });

  it('refuses bad filters before calling the server, and a token without admin scopes', async () => {
    const bad = await remote(['audit', 'tail', '--outcome', 'maybe', '--address', 'nowhere']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--address must be an IPv4 or IPv6 address; --outcome must be one of success, failure/);
    const plain = await remote(['audit', 'verify'], 'not-a-token');
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/refused \(401 invalid_token\)/);
  });
});

describe('tokens and refusals', () => {
  it('lets a read-only token read, and refuses its writes with a clear message', async () => {
    await remoteOk(['clients', 'list'], readToken);
    const result = await remote(['clients', 'add', '--name', 'Nope'], readToken);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: ${new URL(server.issuer).origin} refused (403 insufficient_scope): this operation needs the admin scope\n`);
  });

  it('reads the token from --token-file, and refuses a bad token', async () => {
    const file = join(ws.cwd, 'admin-token');
    writeFileSync(file, `${adminToken}\n`, { mode: 0o600 });
    await runCliOk(['users', 'list', '--server', server.issuer, '--token-file', file], { cwd: ws.cwd });
    const bad = await runCli(['users', 'list', '--server', server.issuer, '--token', 'not-a-token'], { cwd: ws.cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/refused \(401 invalid_token\)/);
  });

  it('asks for a token, and refuses plain http to anything but loopback', async () => {
    const noToken = await runCli(['users', 'list', '--server', server.issuer], { cwd: ws.cwd });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/GATEHOUSE_ADMIN_TOKEN/);
    const plain = await runCli(['users', 'list', '--server', 'http://id.example.com'], { cwd: ws.cwd, env: { GATEHOUSE_ADMIN_TOKEN: adminToken } });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/--server must use https/);
    const notUrl = await runCli(['users', 'list', '--server', 'id.example.com'], { cwd: ws.cwd, env: { GATEHOUSE_ADMIN_TOKEN: adminToken } });
    expect(notUrl.code).toBe(2);
  });
});

describe('a server that cannot be reached', () => {
  let silent: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails at the deadline when the server does not answer', async () => {
    const { port } = silent.address() as { port: number };
    const result = await runCli(['keys', 'list', '--server', `http://127.0.0.1:${port}`], {
      cwd: ws.cwd,
      env: { GATEHOUSE_ADMIN_TOKEN: adminToken, GATEHOUSE_SERVER_TIMEOUT: '300' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: http://127.0.0.1:${port} did not answer within 300 ms\n`);
  });

  it('fails at once when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const result = await runCli(['keys', 'list', '--server', `http://127.0.0.1:${port}`], { cwd: ws.cwd, env: { GATEHOUSE_ADMIN_TOKEN: adminToken } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: could not reach http://127.0.0.1:${port}: ECONNREFUSED\n`);
  });
});
