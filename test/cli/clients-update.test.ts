/**
 * `gatehouse clients update`: replaces a client's redirect URIs, post-logout redirect URIs and
 * resources (each list only when given), validated as at registration, audited as
 * `client.updated`; any other flag is refused rather than ignored. The demo (`npm start` on other
 * ports) relies on it: test/readme/demo.test.ts. Needs `npm run build`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, runCli, runCliOk, type Workspace } from '../helpers/cli.js';

let ws: Workspace;
let clientId: string;
/** Generous: each run starts Node and opens the database, and the test machine may be busy. */
const TIMEOUT_MS = 45_000;
const run = (args: string[]) => runCli([...args, '--data', ws.dataDir], { cwd: ws.cwd, dev: true, timeoutMs: TIMEOUT_MS });
const show = async () =>
  parseJson(await runCliOk(['clients', 'show', clientId, '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true, timeoutMs: TIMEOUT_MS }));

beforeAll(async () => {
  ws = createWorkspace();
  await runCliOk(['migrate', '--data', ws.dataDir], { cwd: ws.cwd, dev: true, timeoutMs: TIMEOUT_MS });
  const added = await runCliOk(
    [
      'clients',
      'add',
      '--name',
      'Notes',
      '--redirect-uri',
      'http://127.0.0.1:3001/authorize',
      '--post-logout-redirect-uri',
      'http://127.0.0.1:3001/',
      '--resource',
      'http://127.0.0.1:3001/api',
      '--json',
      '--data',
      ws.dataDir,
    ],
    { cwd: ws.cwd, dev: true, timeoutMs: TIMEOUT_MS },
  );
  clientId = parseJson<{ client_id: string }>(added).client_id;
}, 90_000);

afterAll(async () => {
  await killAll();
  ws?.remove();
});

describe('gatehouse clients update', () => {
  it('replaces the lists given, keeps the others, and records client.updated', async () => {
    const updated = await run([
      'clients',
      'update',
      clientId,
      '--redirect-uri',
      'http://127.0.0.1:4001/authorize',
      '--redirect-uri',
      'http://localhost:4001/authorize',
      '--post-logout-redirect-uri',
      'http://127.0.0.1:4001/',
      '--json',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    const expected = {
      client_id: clientId,
      redirect_uris: ['http://127.0.0.1:4001/authorize', 'http://localhost:4001/authorize'],
      post_logout_redirect_uris: ['http://127.0.0.1:4001/'],
      resources: ['http://127.0.0.1:3001/api'],
      scope: 'openid profile email address phone offline_access',
    };
    expect(parseJson(updated)).toMatchObject(expected);
    expect(await show()).toMatchObject(expected);

    const events = parseJson<Record<string, unknown>[]>(
      await runCliOk(['audit', 'tail', '--type', 'client.updated', '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true, timeoutMs: TIMEOUT_MS }),
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'client.updated', client_id: clientId, details: { changed: ['redirect_uris', 'post_logout_redirect_uris'] } });
  }, 90_000);

  it('refuses what it cannot do, and changes nothing then', async () => {
    const before = await show();
    const cases: [string[], number, RegExp][] = [
      [['clients', 'update', clientId, '--redirect-uri', 'http://example.com/cb'], 1, /must use https/],
      [['clients', 'update', clientId, '--resource', 'http://127.0.0.1:4001/api#part'], 1, /absolute URI without a fragment/],
      [['clients', 'update', 'no-such-client', '--resource', 'http://127.0.0.1:4001/api'], 1, /no client with id "no-such-client"/],
      [['clients', 'update', clientId, '--serves', 'https://mcp.example/mcp'], 1, /only a resource server serves resources/],
      [
        ['clients', 'update', clientId, '--resource', 'http://127.0.0.1:4001/api', '--scope', 'openid'],
        2,
        /changes only --redirect-uri, --post-logout-redirect-uri, --resource, --serves, --require-par, --backchannel-logout-uri, --backchannel-logout-session-required, --jwks-file, --jwks-uri, not --scope/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    cases.forEach(([args, code, message], index) => {
      expect(results[index]!.code, args.join(' ')).toBe(code);
      expect(results[index]!.stderr, args.join(' ')).toMatch(message);
    });
    expect(await show()).toEqual(before);
  }, 90_000);

  it('registers a resource server with the resources it serves, each served by one client only', async () => {
    const mcp = 'https://mcp.example/mcp';
    const add = (name: string) => run(['clients', 'add', '--name', name, '--resource-server', '--serves', mcp, '--json']);
    const server = await add('MCP server');
    expect(server.code, server.stderr).toBe(0);
    const serverId = parseJson<{ client_id: string; served_resources: string[] }>(server);
    expect(serverId.served_resources).toEqual([mcp]);
    const rival = await add('Rival');
    expect(rival.code).toBe(1);
    expect(rival.stderr).toMatch(/already served by another client/);
    // Moved to another resource, the first is free again.
    expect((await run(['clients', 'update', serverId.client_id, '--serves', 'https://mcp.example/v2'])).code).toBe(0);
    expect((await add('Successor')).code).toBe(0);
  }, 90_000);

  it('--require-par: a client added or updated so must push its authorization requests (RFC 9126), shown by clients show', async () => {
    const added = await run(['clients', 'add', '--name', 'Bank', '--redirect-uri', 'https://bank.example/cb', '--require-par', '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(parseJson(added)).toMatchObject({ require_pushed_authorization_requests: true });
    const updated = await run(['clients', 'update', clientId, '--require-par', '--json']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(await show()).toMatchObject({ require_pushed_authorization_requests: true });
  }, 90_000);

  it('registers a private_key_jwt client from a JWK Set file (no secret), then moves its keys to a jwks_uri', async () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM', kid: 'k1' };
    const file = join(ws.cwd, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [jwk] }));
    const privateFile = join(ws.cwd, 'private-jwks.json');
    writeFileSync(privateFile, JSON.stringify({ keys: [{ ...jwk, d: 'x' }] }));
    const [added, refused] = await Promise.all([
      run(['clients', 'add', '--name', 'Signer', '--grant', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks-file', file, '--json']),
      run(['clients', 'add', '--name', 'Leaky', '--grant', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks-file', privateFile]),
    ]);
    const client = parseJson(added);
    expect(client).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', client_secret: null, jwks: { keys: [jwk] } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/public keys only/);
    const moved = parseJson(await run(['clients', 'update', client.client_id as string, '--jwks-uri', 'https://signer.example/jwks.json', '--json']));
    expect(moved.jwks_uri).toBe('https://signer.example/jwks.json');
    expect(moved).not.toHaveProperty('jwks');

    // --profile fapi2: held to FAPI 2.0 at registration (docs/fapi2.md).
    const fapi = ['clients', 'add', '--name', 'Bank', '--profile', 'fapi2', '--redirect-uri', 'https://bank.example/cb', '--jwks-file', file];
    const [bank, withSecret] = await Promise.all([run([...fapi, '--auth-method', 'private_key_jwt', '--json']), run(fapi)]);
    expect(parseJson(bank)).toMatchObject({ profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt' });
    expect(withSecret.code).toBe(1);
    expect(withSecret.stderr).toMatch(/fapi2 profile needs private_key_jwt/);
  }, 90_000);

  it('is in the usage', async () => {
    const help = await run(['clients', '--help']);
    expect(help.stdout).toContain('gatehouse clients update CLIENT_ID [--redirect-uri URI]... [--post-logout-redirect-uri URI]...');
  }, 60_000);
});
