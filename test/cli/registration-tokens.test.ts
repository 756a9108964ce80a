/**
 * `gatehouse registration tokens create|list|revoke` through the command (dist/): a token printed
 * once, listed without it, bounded, revoked; and a server on the same data registers a client with
 * it (dynamic client registration, `registration.policy` `initial-access-token`).
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { createWorkspace, parseJson, runCli, runCliOk, type Workspace } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

let ws: Workspace;
const dev = (args: string[]) => runCli([...args, '--data', ws.dataDir], { cwd: ws.cwd, dev: true });

beforeAll(async () => {
  ws = createWorkspace();
  await runCliOk(['migrate', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
});

afterAll(() => ws.remove());

interface Listed {
  id: string;
  label: string | null;
  uses: number;
  max_uses: number;
  client_types: string[];
  grant_types: string[];
}

describe('gatehouse registration tokens', () => {
  it('creates a token (printed once on stdout), lists it without the token, and a server on the data registers with it', async () => {
    const created = await dev(['registration', 'tokens', 'create', '--label', 'partner', '--max-uses', '2', '--client-type', 'confidential']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(created.stderr).toMatch(
      /^initial access token [\w-]{16}: 2 registration\(s\) of confidential clients \(authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code\) until \S+; shown once\n$/,
    );
    const [listed] = parseJson<Listed[]>(await dev(['registration', 'tokens', 'list', '--json']));
    expect(listed).toMatchObject({ label: 'partner', uses: 0, max_uses: 2, client_types: ['confidential'] });
    const table = await dev(['registration', 'tokens', 'list']);
    expect(table.stdout).toContain(listed!.id);
    expect(table.stdout).not.toContain(token);

    // A server on this data, with the development secret the command generated.
    const secret = readFileSync(join(ws.dataDir, 'secret'), 'utf8').trim();
    const store = createSqliteStore({ filename: join(ws.dataDir, 'gatehouse.db') });
    const t = await startServer({ store, secret, seedKeys: false, registration: { policy: 'initial-access-token' } });
    try {
      const response = await t.server.fetch(
        new Request(`${t.issuer}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ redirect_uris: ['https://partner.example/cb'], client_name: 'Partner' }),
        }),
      );
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({ client_name: 'Partner', token_endpoint_auth_method: 'client_secret_basic' });
    } finally {
      await t.server.close();
      await store.close();
    }
    const [after] = parseJson<Listed[]>(await dev(['registration', 'tokens', 'list', '--json']));
    expect(after?.uses).toBe(1);

    const revoked = await dev(['registration', 'tokens', 'revoke', listed!.id]);
    expect(revoked).toMatchObject({ code: 0, stderr: `revoked initial access token ${listed!.id} (used 1 of 2 times)\n` });
    expect(parseJson<Listed[]>(await dev(['registration', 'tokens', 'list', '--json']))).toEqual([]);
    const audit = await dev(['audit', 'tail', '--json']);
    expect(audit.stdout).toContain('registration.token_issued');
    expect(audit.stdout).toContain('registration.token_revoked');
    expect(audit.stdout).not.toContain(token);
  });

  it.each([
    [['registration', 'tokens', 'create', '--max-uses', '0'], 1, /max-uses: must be a whole number from 1 to 100/],
    [['registration', 'tokens', 'create', '--max-uses', 'many'], 2, /--max-uses must be a whole number/],
    [['registration', 'tokens', 'create', '--ttl', '10'], 1, /ttl: must be a whole number of seconds from 60 to 31536000/],
    [['registration', 'tokens', 'create', '--client-type', 'robot'], 1, /client-type: must be public or confidential/],
    [['registration', 'tokens', 'create', '--grant', 'password'], 1, /grant: must be among/],
    [['registration', 'tokens', 'revoke', 'nope'], 1, /no initial access token "nope"/],
    [['registration', 'tokens', 'revoke'], 2, /a token ID is required/],
    [['registration', 'tokens', 'mint'], 2, /unknown registration tokens command "mint"/],
    [['registration', 'clients'], 2, /unknown registration command "clients"/],
  ])('refuses %j (exit %i)', async (args, code, message) => {
    const result = await dev(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('prints its usage', async () => {
    const help = await dev(['registration', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('gatehouse registration tokens create');
  });
});
