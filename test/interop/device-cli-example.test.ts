/**
 * examples/device-cli against a real `gatehouse start`, as a reader of its header would run it:
 * the client registered with `gatehouse clients add --grant urn:ietf:params:oauth:grant-type:device_code`,
 * the built example (dist-examples/device-cli/main.js) started as a child process, the user
 * approving from another "screen" (a text browser on the printed link: confirm the code, sign in,
 * allow), and the example printing the user's UserInfo. A refusal ends it with `access_denied`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, createWorkspace, killAll, parseJson, REPO_ROOT, runCliOk, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { UserAgent } from '../helpers/user-agent.js';
import { addUser, isConsentPage, isLoginPage, type TestUser } from './interop-helpers.js';

const EXAMPLE = join(REPO_ROOT, 'dist-examples', 'device-cli', 'main.js');
if (!existsSync(EXAMPLE)) throw new Error('dist-examples/device-cli/main.js is missing: run "npm run build" first');

let ws: Workspace;
let server: RunningServer;
let alice: TestUser;
let clientId: string;

beforeAll(async () => {
  ws = createWorkspace();
  // One-second polling keeps the example's real waits short.
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true, env: { GATEHOUSE_DEVICE_CODE_INTERVAL: '1' } });
  alice = await addUser(ws, 'alice', 'Alice Liddell');
  const added = parseJson<{ client_id: string; grant_types: string[]; scope: string; client_secret: string | null }>(
    await runCliOk(
      [
        'clients',
        'add',
        '--name',
        'Device CLI',
        '--auth-method',
        'none',
        '--grant',
        'urn:ietf:params:oauth:grant-type:device_code',
        '--grant',
        'refresh_token',
        '--json',
        '--data',
        ws.dataDir,
      ],
      { cwd: ws.cwd, dev: true },
    ),
  );
  expect(added.grant_types).toEqual(['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token']);
  expect(added.scope.split(' ')).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
  expect(added.client_secret).toBeNull();
  clientId = added.client_id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await killAll();
  ws?.remove();
});

/** Runs the example; resolves with the link it printed, and then with its exit and output. */
function runExample(): { link: Promise<string>; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [EXAMPLE, '--issuer', server.issuer, '--client-id', clientId], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let found: (link: string) => void;
  const link = new Promise<string>((resolve) => (found = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const match = /\(or open (\S+) and confirm the code\)/.exec(stdout);
    if (match) found(match[1]!);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  void done.then(() => clearTimeout(killer));
  return { link, done };
}

/** The user's side of the printed link: confirm the code, sign in, then `decision` on the consent page. */
async function answer(link: string, decision: 'approve' | 'deny'): Promise<string> {
  const ua = new UserAgent();
  let page = await ua.open(link);
  page = await ua.submit(page, {}, { actionPart: '/device' });
  expect(isLoginPage(page)).toBe(true);
  page = await ua.submit(page, { username: alice.username, password: alice.password }, { actionPart: '/login' });
  expect(isConsentPage(page)).toBe(true);
  expect(page.body).toContain('Device CLI');
  page = await ua.submit(page, {}, { actionPart: '/consent', button: { name: 'decision', value: decision } });
  return page.body;
}

describe('examples/device-cli', () => {
  it('prints the code and the link, waits for the user, then prints UserInfo', async () => {
    const run = runExample();
    const link = await run.link;
    expect(link).toMatch(new RegExp(`^${server.issuer}/device\\?user_code=[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`));
    expect(await answer(link, 'approve')).toContain('Device connected');
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`To sign in, open ${server.issuer}/device and enter the code`);
    const userinfo = JSON.parse(/Signed in\. UserInfo: (.*)/.exec(stdout)![1]!) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ sub: alice.sub, name: 'Alice Liddell', email: 'alice@example.com' });
  }, 60_000);

  it('says so in one line when the user refuses', async () => {
    const run = runExample();
    expect(await answer(await run.link, 'deny')).toContain('Device not connected');
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Not signed in: access_denied (the user denied the request)');
  }, 60_000);
});
