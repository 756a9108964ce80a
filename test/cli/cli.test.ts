/**
 * The `gatehouse` command as an operator uses it: real child processes on a temporary data
 * directory, checked through their output, the SQLite file and a listening server.
 */
import { verify as verifyArgon2 } from '@node-rs/argon2';
import Database from 'better-sqlite3';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, pollUntil, postForm, runCli, runCliOk, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';

/** 32 random bytes in unpadded base64url. */
const CLIENT_SECRET = /^[A-Za-z0-9_-]{43,}$/;
const INSTALLATION_SECRET = 's'.repeat(48);

interface ClientOutput {
  client_id: string;
  client_secret: string | null;
  client_name: string;
  grant_types: string[];
  scope: string;
  token_endpoint_auth_method: string;
}

interface KeyOutput {
  kid: string;
  alg: string;
  status: string;
  published: boolean;
  retired_at: string | null;
}

const workspaces: Workspace[] = [];
function workspace(): Workspace {
  const ws = createWorkspace();
  workspaces.push(ws);
  return ws;
}

afterAll(async () => {
  await killAll();
  for (const ws of workspaces) ws.remove();
});

/** Client credentials token request with `client_secret_basic` to the server's token endpoint. */
async function requestToken(server: RunningServer, clientId: string, clientSecret: string): Promise<Response> {
  return postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'api:read' }, { clientId, clientSecret });
}

// One server for the clients and config-file tests: its working directory holds a config file.
// Development mode (--dev) here and for every command on its data directory: it generates the secret.
let shared: Workspace;
let server: RunningServer;
beforeAll(async () => {
  shared = workspace();
  writeFileSync(join(shared.cwd, 'gatehouse.config.json'), JSON.stringify({ accessTokenTtl: 120 }));
  server = await startServer({ cwd: shared.cwd, dataDir: shared.dataDir, dev: true });
});

/** Runs `gatehouse` in the shared workspace with `--data` set. */
function gatehouse(args: string[], stdin?: string) {
  return runCli([...args, '--data', shared.dataDir], { cwd: shared.cwd, dev: true, ...(stdin !== undefined ? { stdin } : {}) });
}

describe('gatehouse clients', () => {
  it('adds a confidential client and shows its secret once, as base64url with 256 bits', async () => {
    const result = await gatehouse(['clients', 'add', '--name', 'Reporting job', '--grant', 'client_credentials', '--scope', 'api:read', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const added = parseJson<ClientOutput>(result);
    expect(added.client_id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(added.client_secret).toMatch(CLIENT_SECRET);
    expect(added).toMatchObject({
      client_name: 'Reporting job',
      grant_types: ['client_credentials'],
      scope: 'api:read',
      token_endpoint_auth_method: 'client_secret_basic',
    });

    // The secret works at the running server right away.
    const token = await requestToken(server, added.client_id, added.client_secret!);
    expect(token.status).toBe(200);
  });

  it('lists and shows clients without any secret or secret hash', async () => {
    const added = parseJson<ClientOutput>(
      await runCliOk(['clients', 'add', '--name', 'Listed', '--grant', 'client_credentials', '--scope', 'api:read', '--json', '--data', shared.dataDir], {
        cwd: shared.cwd,
        dev: true,
      }),
    );

    const [list, show, missing] = await Promise.all([
      gatehouse(['clients', 'list', '--json']),
      gatehouse(['clients', 'show', added.client_id, '--json']),
      gatehouse(['clients', 'show', 'no-such-client', '--json']),
    ]);
    expect(list.code).toBe(0);
    const clients = parseJson<Record<string, unknown>[]>(list);
    const listed = clients.find((client) => client.client_id === added.client_id);
    expect(listed).toMatchObject({ client_name: 'Listed', grant_types: ['client_credentials'], scope: 'api:read' });
    for (const client of clients) {
      expect(Object.keys(client).filter((key) => /secret|hash/i.test(key))).toEqual([]);
    }
    expect(list.stdout).not.toContain(added.client_secret);

    expect(show.code).toBe(0);
    const shown = parseJson(show);
    expect(shown).toMatchObject({ client_id: added.client_id, client_name: 'Listed', token_endpoint_auth_method: 'client_secret_basic' });
    expect(Object.keys(shown).filter((key) => /secret|hash/i.test(key))).toEqual([]);
    expect(show.stdout + show.stderr).not.toContain(added.client_secret);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no-such-client');
  });

  it('rotate-secret gives a new secret: the running server refuses the old one and accepts the new one', async () => {
    const added = parseJson<ClientOutput>(
      await runCliOk(['clients', 'add', '--name', 'Rotated', '--grant', 'client_credentials', '--scope', 'api:read', '--json', '--data', shared.dataDir], {
        cwd: shared.cwd,
        dev: true,
      }),
    );
    expect((await requestToken(server, added.client_id, added.client_secret!)).status).toBe(200);

    const rotate = await gatehouse(['clients', 'rotate-secret', added.client_id, '--json']);
    expect(rotate.code, rotate.stderr).toBe(0);
    const rotated = parseJson<{ client_id: string; client_secret: string }>(rotate);
    expect(rotated.client_id).toBe(added.client_id);
    expect(rotated.client_secret).toMatch(CLIENT_SECRET);
    expect(rotated.client_secret).not.toBe(added.client_secret);

    const withOld = await requestToken(server, added.client_id, added.client_secret!);
    expect(withOld.status).toBe(401);
    expect(await withOld.json()).toMatchObject({ error: 'invalid_client' });

    const withNew = await requestToken(server, added.client_id, rotated.client_secret);
    expect(withNew.status).toBe(200);
    expect(await withNew.json()).toMatchObject({ token_type: 'Bearer', scope: 'api:read' });
  });

  it('remove deletes the client: it is no longer listed and can no longer get tokens', async () => {
    const added = parseJson<ClientOutput>(
      await runCliOk(['clients', 'add', '--name', 'Removed', '--grant', 'client_credentials', '--scope', 'api:read', '--json', '--data', shared.dataDir], {
        cwd: shared.cwd,
        dev: true,
      }),
    );

    const remove = await gatehouse(['clients', 'remove', added.client_id]);
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.stderr).toContain(added.client_id);

    const [list, show, token, again] = await Promise.all([
      gatehouse(['clients', 'list', '--json']),
      gatehouse(['clients', 'show', added.client_id]),
      requestToken(server, added.client_id, added.client_secret!),
      gatehouse(['clients', 'remove', added.client_id]),
    ]);
    expect(parseJson<{ client_id: string }[]>(list).map((client) => client.client_id)).not.toContain(added.client_id);
    expect(show.code).toBe(1);
    expect(token.status).toBe(401);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(added.client_id);
  });

  it('refuses a plain-http non-loopback redirect URI, naming redirect-uri, and registers nothing', async () => {
    const before = parseJson<unknown[]>(await gatehouse(['clients', 'list', '--json'])).length;
    const result = await gatehouse(['clients', 'add', '--name', 'Evil', '--redirect-uri', 'http://evil.example/cb', '--json']);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain('redirect-uri');
    expect(result.stderr).toContain('http://evil.example/cb');
    expect(result.stdout).not.toMatch(/client_secret/);
    expect(parseJson<unknown[]>(await gatehouse(['clients', 'list', '--json']))).toHaveLength(before);
  });

  it('exits 2 on an unknown flag, naming it', async () => {
    const result = await gatehouse(['clients', 'add', '--name', 'X', '--grnat', 'client_credentials']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--grnat');
  });

  it('registers a client_secret_post client that must authenticate in the body', async () => {
    const added = parseJson<ClientOutput>(
      await runCliOk(
        [
          'clients',
          'add',
          '--name',
          'Poster',
          '--grant',
          'client_credentials',
          '--scope',
          'api:read',
          '--auth-method',
          'client_secret_post',
          '--json',
          '--data',
          shared.dataDir,
        ],
        { cwd: shared.cwd, dev: true },
      ),
    );
    expect(added.token_endpoint_auth_method).toBe('client_secret_post');
    const inBody = await postForm(`${server.issuer}/token`, {
      grant_type: 'client_credentials',
      client_id: added.client_id,
      client_secret: added.client_secret!,
    });
    expect(inBody.status).toBe(200);
    expect((await requestToken(server, added.client_id, added.client_secret!)).status).toBe(401);
  });
});

describe('gatehouse users', () => {
  const ws = workspace();
  const password = 'correct horse battery staple';
  const run = (args: string[], stdin?: string) =>
    runCli([...args, '--data', ws.dataDir], { cwd: ws.cwd, dev: true, ...(stdin !== undefined ? { stdin } : {}) });
  const storedHash = (username: string): string | null => {
    const db = new Database(join(ws.dataDir, 'gatehouse.db'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT password_hash FROM users WHERE username = ?').get(username) as { password_hash: string | null } | undefined;
      if (!row) throw new Error(`no user ${username} in the database`);
      return row.password_hash;
    } finally {
      db.close();
    }
  };
  let sub: string;
  // Only start and migrate set up an installation; the other commands refuse an empty data directory.
  beforeAll(async () => {
    await runCliOk(['migrate', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
  });

  it('adds a user with the password from stdin, printing neither the password nor its hash', async () => {
    const result = await run(
      ['users', 'add', '--username', 'alice', '--email', 'a@example.com', '--name', 'Alice', '--password-stdin', '--json'],
      `${password}\n`,
    );
    expect(result.code, result.stderr).toBe(0);
    const user = parseJson(result);
    expect(user).toMatchObject({ username: 'alice', email: 'a@example.com', name: 'Alice', has_password: true });
    expect(user.sub).toMatch(/^[0-9a-f-]{36}$/);
    sub = user.sub as string;
    const printed = result.stdout + result.stderr;
    expect(printed).not.toContain(password);
    expect(printed).not.toContain('$argon2');
    expect(Object.keys(user).filter((key) => /password_hash|hash/i.test(key))).toEqual([]);

    const hash = storedHash('alice');
    expect(hash).toMatch(/^\$argon2id\$/);
    // The trailing newline of `echo` is not part of the password.
    expect(await verifyArgon2(hash!, password)).toBe(true);
  });

  it('refuses a duplicate username (case-insensitively) with a clear message', async () => {
    const result = await run(['users', 'add', '--username', 'Alice', '--password-stdin', '--json'], 'another password\n');
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(/username/i);
    expect(result.stderr).toMatch(/taken|exists/i);
    expect(result.stderr).not.toContain('another password');
  });

  it('refuses a too-short password without storing the user', async () => {
    const result = await run(['users', 'add', '--username', 'bob', '--password-stdin'], 'short\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('password');
    const users = parseJson<{ username: string }[]>(await run(['users', 'list', '--json']));
    expect(users.map((user) => user.username)).not.toContain('bob');
  });

  it('set-password replaces the stored hash; the new password verifies and the old one no longer does', async () => {
    const before = storedHash('alice');
    const newPassword = 'tr0ub4dor & 3 rotated';
    const result = await run(['users', 'set-password', 'a@example.com', '--password-stdin'], `${newPassword}\n`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(newPassword);
    expect(result.stdout + result.stderr).not.toContain('$argon2');
    const after = storedHash('alice');
    expect(after).toMatch(/^\$argon2id\$/);
    expect(after).not.toBe(before);
    expect(await verifyArgon2(after!, newPassword)).toBe(true);
    expect(await verifyArgon2(after!, password)).toBe(false);

    const missing = await run(['users', 'set-password', 'nobody', '--password-stdin'], 'whatever-long-enough\n');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nobody');
  });

  it('lists users without password hashes', async () => {
    const result = await run(['users', 'list', '--json']);
    expect(result.code).toBe(0);
    const users = parseJson<Record<string, unknown>[]>(result);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ sub, username: 'alice', email: 'a@example.com', has_password: true });
    expect(result.stdout).not.toContain('$argon2');
    expect(Object.keys(users[0]!).filter((key) => /hash/i.test(key))).toEqual([]);
  });

  it('removes a user by username', async () => {
    const result = await run(['users', 'remove', 'alice']);
    expect(result.code, result.stderr).toBe(0);
    expect(parseJson<unknown[]>(await run(['users', 'list', '--json']))).toEqual([]);
    const again = await run(['users', 'remove', 'alice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('alice');
  });
});

describe('gatehouse migrate', () => {
  it('applies the initial migration to a new data directory, and nothing the second time', async () => {
    const ws = workspace();
    const first = await runCli(['migrate', '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
    expect(first.code, first.stderr).toBe(0);
    const { applied } = parseJson<{ applied: string[] }>(first);
    expect(applied[0]).toBe('0001_initial_schema');
    expect(existsSync(join(ws.dataDir, 'gatehouse.db'))).toBe(true);

    const second = await runCli(['migrate', '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
    expect(second.code, second.stderr).toBe(0);
    expect(parseJson(second)).toEqual({ applied: [] });
  });
});

describe('secret and production mode', () => {
  it('refuses to start in production without GATEHOUSE_SECRET, and writes no secret file', async () => {
    const ws = workspace();
    const result = await runCli(['start', '--port', '0', '--json', '--data', ws.dataDir], {
      cwd: ws.cwd,
      env: { GATEHOUSE_ENV: 'production' },
      timeoutMs: 10_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull(); // exited by itself rather than serving
    expect(result.stderr).toContain('GATEHOUSE_SECRET');
    expect(result.stdout).not.toMatch(/"issuer"/);
    expect(existsSync(join(ws.dataDir, 'secret'))).toBe(false);
  });

  it('refuses to start in production with a plain-http public issuer, naming the issuer', async () => {
    const ws = workspace();
    const result = await runCli(['start', '--port', '0', '--json', '--issuer', 'http://example.com', '--data', ws.dataDir], {
      cwd: ws.cwd,
      env: { GATEHOUSE_ENV: 'production', GATEHOUSE_SECRET: INSTALLATION_SECRET },
      timeoutMs: 10_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain('issuer');
    expect(result.stderr).toMatch(/https/);
  });

  it('start in development on an empty data directory generates the secret with warnings, and keeps the files owner-only', () => {
    // The shared server was the first command to touch its data directory.
    const { stderr } = server.output();
    const file = join(shared.dataDir, 'secret');
    expect(stderr).toContain(`generated a secret in ${file}`);
    expect(stderr).toMatch(/^warning: running in development mode/m);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // It holds password hashes and encrypted private keys.
    expect(statSync(join(shared.dataDir, 'gatehouse.db')).mode & 0o777).toBe(0o600);
  });

  it('in development generates a 0600 secret file once, with a warning on stderr', async () => {
    const ws = workspace();
    const first = await runCli(['migrate', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
    expect(first.code, first.stderr).toBe(0);
    const file = join(ws.dataDir, 'secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.stderr).toMatch(/^warning: .*development.*secret/m);
    expect(first.stderr).toContain(file);
    const secret = readFileSync(file, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);

    // Kept across runs: keys and client secrets are derived from it.
    const second = await runCli(['migrate', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
    expect(second.code).toBe(0);
    expect(readFileSync(file, 'utf8').trim()).toBe(secret);
    expect(second.stderr).not.toContain('generated a secret');
  });
});

describe('configuration', () => {
  async function tokenFrom(target: RunningServer, ws: Workspace): Promise<{ expires_in: number }> {
    const added = parseJson<ClientOutput>(
      await runCliOk(['clients', 'add', '--name', 'TTL', '--grant', 'client_credentials', '--scope', 'api:read', '--json', '--data', ws.dataDir], {
        cwd: ws.cwd,
        dev: true,
      }),
    );
    const response = await requestToken(target, added.client_id, added.client_secret!);
    expect(response.status).toBe(200);
    return (await response.json()) as { expires_in: number };
  }

  it('reads accessTokenTtl from gatehouse.config.json in the working directory', async () => {
    expect((await tokenFrom(server, shared)).expires_in).toBe(120);
  });

  it('lets GATEHOUSE_ACCESS_TOKEN_TTL override the config file', async () => {
    const ws = workspace();
    writeFileSync(join(ws.cwd, 'gatehouse.config.json'), JSON.stringify({ accessTokenTtl: 120 }));
    const target = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true, env: { GATEHOUSE_ACCESS_TOKEN_TTL: '60' } });
    try {
      expect((await tokenFrom(target, ws)).expires_in).toBe(60);
    } finally {
      expect(await target.stop()).toBe(0);
    }
  });

  it('refuses a config file with an unknown setting, naming it', async () => {
    const ws = workspace();
    writeFileSync(join(ws.cwd, 'gatehouse.config.json'), JSON.stringify({ accessTokenTTL: 120 }));
    const result = await runCli(['start', '--port', '0', '--json', '--data', ws.dataDir], { cwd: ws.cwd, timeoutMs: 10_000 });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain('accessTokenTTL');
    expect(result.stderr).toContain('gatehouse.config.json');
  });

  it('refuses a secret in the config file, pointing to GATEHOUSE_SECRET', async () => {
    const ws = workspace();
    writeFileSync(join(ws.cwd, 'gatehouse.config.json'), JSON.stringify({ secret: INSTALLATION_SECRET }));
    // Development, so that the only mention of GATEHOUSE_SECRET can come from the config-file check.
    const result = await runCli(['start', '--port', '0', '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true, timeoutMs: 10_000 });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain('secret');
    expect(result.stderr).toContain('GATEHOUSE_SECRET');
    expect(result.stderr).not.toContain(INSTALLATION_SECRET);
  });
});

describe('gatehouse keys', () => {
  // Its own data directory, so rotation does not disturb the other tests; a 1 s refresh interval
  // lets the running server pick rotated keys up quickly.
  const ws = workspace();
  let keysServer: RunningServer;
  beforeAll(async () => {
    keysServer = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true, env: { GATEHOUSE_KEY_REFRESH_INTERVAL: '1' } });
  });
  const run = (args: string[]) => runCli([...args, '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
  const jwksKids = async (): Promise<string[]> => {
    const jwks = (await (await fetch(`${keysServer.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    return jwks.keys.map((key) => key.kid).sort();
  };
  let initial: KeyOutput[];

  it('lists one active ES256 and one active RS256 key after the first start', async () => {
    const result = await run(['keys', 'list', '--json']);
    expect(result.code, result.stderr).toBe(0);
    initial = parseJson<KeyOutput[]>(result);
    expect(initial).toHaveLength(2);
    expect(initial.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of initial) expect(key).toMatchObject({ status: 'active', published: true, retired_at: null });
    expect(result.stdout).not.toMatch(/"d"|private/i);
    expect(await jwksKids()).toEqual(initial.map((key) => key.kid).sort());
  });

  it('rotate adds new active keys; the old ones are retired but still published, also by the running server', async () => {
    const rotate = await run(['keys', 'rotate', '--json']);
    expect(rotate.code, rotate.stderr).toBe(0);
    const fresh = parseJson<KeyOutput[]>(rotate);
    expect(fresh.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    const oldKids = initial.map((key) => key.kid);
    for (const key of fresh) {
      expect(key.status).toBe('active');
      expect(oldKids).not.toContain(key.kid);
    }

    const listed = parseJson<KeyOutput[]>(await run(['keys', 'list', '--json']));
    expect(listed).toHaveLength(4);
    for (const kid of oldKids) {
      expect(listed.find((key) => key.kid === kid)).toMatchObject({ status: 'retired', published: true, retired_at: expect.any(String) });
    }
    for (const { kid } of fresh) expect(listed.find((key) => key.kid === kid)).toMatchObject({ status: 'active', published: true });

    // The running server publishes old and new keys and signs with the new ES256 key.
    const everyKid = listed.map((key) => key.kid).sort();
    await pollUntil(async () => JSON.stringify(await jwksKids()) === JSON.stringify(everyKid), { what: 'the server to publish the rotated keys' });
    const client = parseJson<ClientOutput>(
      await runCliOk(['clients', 'add', '--name', 'After rotation', '--grant', 'client_credentials', '--scope', 'api:read', '--json', '--data', ws.dataDir], {
        cwd: ws.cwd,
        dev: true,
      }),
    );
    const token = (await (await requestToken(keysServer, client.client_id, client.client_secret!)).json()) as { access_token: string };
    const header = JSON.parse(Buffer.from(token.access_token.split('.')[0]!, 'base64url').toString()) as { kid: string; alg: string };
    expect(header.alg).toBe('ES256');
    expect(header.kid).toBe(fresh.find((key) => key.alg === 'ES256')!.kid);
  });
});
