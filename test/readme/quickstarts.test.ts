/**
 * The README's shell quick starts, run as a reader pastes them: every ```sh block under a heading
 * with "Quick start" is read from README.md itself and run with bash, in the repository, against a
 * `gatehouse start --dev` on a free port. Only the port changes (3000 in the text), and the data
 * directory, through GATEHOUSE_DATA_DIR rather than in the text. So the quick starts cannot drift
 * from what the commands do. Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, createWorkspace, killAll, REPO_ROOT, runCli, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { markdownSections } from '../helpers/markdown.js';
import { freePort } from '../helpers/ports.js';

const quickStarts = markdownSections('README.md')
  .filter((section) => /quick start/i.test(section.heading))
  .map((section) => ({
    heading: section.heading,
    scripts: section.blocks.filter((block) => ['sh', 'bash', 'shell'].includes(block.lang)).map((block) => block.text),
  }));

/** What each quick start promises, beyond running without an error. */
const PROMISES: { heading: RegExp; check: (stdout: string, port: number) => void }[] = [
  {
    heading: /machine client/i,
    check: (stdout) => {
      // Step 2's token answer, step 3's verified claims, step 4's introspections: active, then not.
      expect(stdout).toMatch(/"access_token":"[\w-]+\.[\w-]+\.[\w-]+"/);
      expect(stdout).toMatch(/scope: 'api:read'/);
      const introspections = stdout.split('\n').filter((line) => line.startsWith('{"active"'));
      expect(introspections).toHaveLength(2);
      expect(JSON.parse(introspections[0]!)).toMatchObject({ active: true, scope: 'api:read' });
      expect(JSON.parse(introspections[1]!)).toEqual({ active: false });
    },
  },
  {
    heading: /sign in with gatehouse/i,
    check: (stdout) => {
      expect(stdout).toMatch(/^username:\s+alice$/m);
      expect(stdout).toContain('"redirect_uris": [\n    "http://localhost:5000/authorize"\n  ]');
      expect(stdout).toMatch(/"client_secret": "[\w-]{20,}"/);
    },
  },
];

let ws: Workspace;
let server: RunningServer;

beforeAll(async () => {
  ws = createWorkspace();
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true, port: await freePort(), readyTimeoutMs: 45_000 });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await killAll();
  ws?.remove();
});

/** Runs a script with bash (stopping at the first failing command) in the repository. */
function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the README's quick starts", () => {
  it('are found: each known one has shell blocks', () => {
    for (const promise of PROMISES) {
      const found = quickStarts.find((quickStart) => promise.heading.test(quickStart.heading));
      expect(found, `a "Quick start" heading matching ${promise.heading}`).toBeDefined();
      expect(found!.scripts.length).toBeGreaterThan(0);
    }
  });

  it.each(quickStarts.map((quickStart) => [quickStart.heading, quickStart] as const))(
    '%s: runs as pasted',
    async (_heading, quickStart) => {
      const script = quickStart.scripts.join('\n').replaceAll('127.0.0.1:3000', `127.0.0.1:${server.port}`);
      // Pasteable: nothing to fill in by hand, and no server address but the one substituted.
      expect(script, 'a <placeholder> to replace by hand').not.toMatch(/<[a-z_ -]+>/i);
      expect(script, 'an address other than 127.0.0.1:3000').not.toMatch(/:3000\b/);

      const result = await bash(script, cleanEnv({ GATEHOUSE_DATA_DIR: ws.dataDir }));
      expect(result.code, `exit status\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
      expect(result.stderr).not.toMatch(/^error/im);
      PROMISES.find((promise) => promise.heading.test(quickStart.heading))?.check(result.stdout, server.port);
    },
    60_000,
  );
});

describe("the README's word on the gatehouse command", () => {
  it('"gatehouse <command> --help" prints its usage, for each command it names (audit included)', async () => {
    const results = await Promise.all(
      ['clients', 'users', 'keys', 'audit'].map(async (command) => ({ command, ...(await runCli([command, '--help'], { cwd: ws.cwd })) })),
    );
    for (const result of results) {
      expect(result.code, `gatehouse ${result.command} --help: ${result.stderr}`).toBe(0);
      expect(result.stdout, `gatehouse ${result.command} --help`).toMatch(new RegExp(`^Usage:[\\s\\S]*gatehouse ${result.command}`));
    }
  }, 60_000);
});
