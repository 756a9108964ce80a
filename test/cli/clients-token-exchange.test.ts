/**
 * `gatehouse clients add` registers a token exchange client (RFC 8693) with its policy, in process
 * (`clientsCommand`, as `main` runs it), on a SQLite data directory; the store holds the grant and
 * the policy the token endpoint reads. Refusals are usage-free errors naming the flag.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientsCommand } from '../../src/cli/commands/clients.js';
import { migrateCommand } from '../../src/cli/commands/migrate.js';
import type { CliIo } from '../../src/cli/io.js';
import { DATABASE_FILE } from '../../src/cli/runtime.js';
import { TOKEN_EXCHANGE_GRANT } from '../../src/server/grants/token-exchange.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';

const SECRET = 'cli-exchange-test-secret-'.padEnd(48, 's');

function memoryIo(): { io: CliIo; stdout: () => string; stderr: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return { io: { stdout, stderr, stdin, env: { GATEHOUSE_SECRET: SECRET } }, stdout: () => out, stderr: () => err };
}

/** `gatehouse clients ARGS --data DIR`, in process: its exit code (or the error it threw) and output. */
async function runIn(dir: string, args: string[]): Promise<{ code: number | Error; stdout: string; stderr: string }> {
  const { io, stdout, stderr } = memoryIo();
  const code = await clientsCommand([...args, '--data', dir], io, () => undefined).catch((error: unknown) => error as Error);
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: stdout(), stderr: stderr() };
}

describe('gatehouse clients add: token exchange', () => {
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-exchange-cli-'));
    expect(await migrateCommand(['--data', dir], memoryIo().io, () => undefined)).toBe(0);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[]) => runIn(dir, args);

  it('registers the grant with an impersonation policy, as a resource server with the API it serves', async () => {
    const added = await run([
      'add',
      '--name',
      'Notes API',
      '--grant',
      'client_credentials',
      '--grant',
      TOKEN_EXCHANGE_GRANT,
      '--scope',
      'notes:read',
      '--exchange-impersonation',
      '--resource-server',
      '--serves',
      'https://notes.example.com/',
      '--json',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const shown = JSON.parse(added.stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({
      grant_types: ['client_credentials', TOKEN_EXCHANGE_GRANT],
      served_resources: ['https://notes.example.com/'],
      token_exchange: { impersonation: true },
    });
    const store = createSqliteStore({ filename: join(dir, DATABASE_FILE) });
    try {
      const client = await store.clients.get(shown.client_id as string);
      expect(client?.grantTypes).toContain(TOKEN_EXCHANGE_GRANT);
      expect(client?.extra.token_exchange).toEqual({ impersonation: true });
      expect(client?.servedResources).toEqual(['https://notes.example.com/']);
    } finally {
      await store.close();
    }
  });

  it('refuses a public client with the grant, and a policy without the grant', async () => {
    const publicClient = await run([
      'add',
      '--name',
      'SPA',
      '--auth-method',
      'none',
      '--redirect-uri',
      'https://spa.example.com/cb',
      '--grant',
      'authorization_code',
      '--grant',
      TOKEN_EXCHANGE_GRANT,
    ]);
    expect(publicClient.code).toBeInstanceOf(Error);
    expect(String(publicClient.code)).toContain('token exchange needs a confidential client');
    const policyOnly = await run(['add', '--name', 'Worker', '--grant', 'client_credentials', '--exchange-impersonation']);
    expect(String(policyOnly.code)).toContain(TOKEN_EXCHANGE_GRANT);
  });
});

describe('gatehouse clients add --allow-nonce-without-pkce (OAuth 2.1 section 7.5.2)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-pkce-cli-'));
    expect(await migrateCommand(['--data', dir], memoryIo().io, () => undefined)).toBe(0);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a confidential OpenID client with the exception, kept by the store and shown by clients show; a public client is refused', async () => {
    const added = await runIn(dir, [
      'add',
      '--name',
      'Certification RP',
      '--redirect-uri',
      'https://rp.example.com/cb',
      '--allow-nonce-without-pkce',
      '--json',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const clientId = (JSON.parse(added.stdout) as { client_id: string }).client_id;
    const shown = await runIn(dir, ['show', clientId, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ allow_nonce_without_pkce: true });
    const store = createSqliteStore({ filename: join(dir, DATABASE_FILE) });
    try {
      expect((await store.clients.get(clientId))?.allowNonceWithoutPkce).toBe(true);
    } finally {
      await store.close();
    }
    const spa = await runIn(dir, [
      'add',
      '--name',
      'SPA',
      '--auth-method',
      'none',
      '--redirect-uri',
      'https://spa.example.com/cb',
      '--allow-nonce-without-pkce',
    ]);
    expect(String(spa.code)).toContain('only a confidential client');
  });
});
