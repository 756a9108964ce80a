/**
 * `gatehouse clients add|update --backchannel-logout-uri` (OpenID Connect Back-Channel Logout 1.0
 * §2.2), in process (`clientsCommand`, as `main` runs it) on a SQLite data directory: the URI and
 * the session requirement are kept on the client, shown by `clients show`, replaced or removed by
 * `clients update`; a URI the server must not send to is refused naming the flag.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsCommand } from '../../src/cli/commands/clients.js';
import { migrateCommand } from '../../src/cli/commands/migrate.js';
import type { CliIo } from '../../src/cli/io.js';

const SECRET = 'cli-backchannel-test-secret-'.padEnd(48, 's');

function memoryIo(): { io: CliIo; stdout: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  stderr.resume();
  return { io: { stdout, stderr, stdin, env: { GATEHOUSE_SECRET: SECRET } }, stdout: () => out };
}

describe('gatehouse clients: back-channel logout', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-backchannel-cli-'));
    expect(await migrateCommand(['--data', dir], memoryIo().io, () => undefined)).toBe(0);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<{ code: number | Error; json: Record<string, unknown> | undefined }> {
    const { io, stdout } = memoryIo();
    const code = await clientsCommand([...args, '--data', dir], io, () => undefined).catch((error: unknown) => error as Error);
    await new Promise((resolve) => setImmediate(resolve));
    return { code, json: code === 0 && args.includes('--json') ? (JSON.parse(stdout()) as Record<string, unknown>) : undefined };
  }

  it('adds, shows, replaces and removes the URI and the session requirement', async () => {
    const added = await run([
      'add',
      '--name',
      'Shop',
      '--redirect-uri',
      'https://shop.example/cb',
      '--backchannel-logout-uri',
      'https://shop.example/backchannel-logout',
      '--backchannel-logout-session-required',
      '--json',
    ]);
    expect(added.json).toMatchObject({ backchannel_logout_uri: 'https://shop.example/backchannel-logout', backchannel_logout_session_required: true });
    const id = added.json!.client_id as string;
    expect((await run(['show', id, '--json'])).json).toMatchObject({ backchannel_logout_uri: 'https://shop.example/backchannel-logout' });

    const replaced = await run(['update', id, '--backchannel-logout-uri', 'http://127.0.0.1:4001/logout', '--json']);
    expect(replaced.json).toMatchObject({ backchannel_logout_uri: 'http://127.0.0.1:4001/logout', backchannel_logout_session_required: false });
    expect(replaced.json!.redirect_uris).toEqual(['https://shop.example/cb']);

    const removed = await run(['update', id, '--backchannel-logout-uri', '', '--json']);
    expect(removed.json).not.toHaveProperty('backchannel_logout_uri');
    expect(removed.json).not.toHaveProperty('backchannel_logout_session_required');
  });

  it('refuses a URI it must not send to, and the session requirement without a URI', async () => {
    const plain = await run(['add', '--name', 'Plain', '--redirect-uri', 'https://a.example/cb', '--backchannel-logout-uri', 'http://a.example/logout']);
    expect(String(plain.code)).toMatch(/backchannel-logout-uri.*must use https/);
    const fragment = await run(['add', '--name', 'Frag', '--redirect-uri', 'https://a.example/cb', '--backchannel-logout-uri', 'https://a.example/l#x']);
    expect(String(fragment.code)).toMatch(/must not have a fragment/);
    const alone = await run(['add', '--name', 'Alone', '--redirect-uri', 'https://a.example/cb', '--backchannel-logout-session-required']);
    expect(String(alone.code)).toMatch(/needs a back-channel logout URI/);
  });
});
