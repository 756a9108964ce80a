/**
 * `npm start` as the README describes it: what it prints (compared with the README's own sample,
 * read from README.md, modulo the ports, the generated password and the outbox's path), that it reuses its clients when
 * started on other ports, that it stops as a whole (Ctrl-C/SIGTERM, or Gatehouse dying), and that a
 * busy port gives one line and leaves no process behind. Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, REPO_ROOT, runCliOk } from '../helpers/cli.js';
import { gatehouseServing, killDemos, startDemo, type RunningDemo } from '../helpers/demo.js';
import { markdownSections } from '../helpers/markdown.js';
import { accepts, freePort } from '../helpers/ports.js';

/** The README's sample of what `npm start` prints: the plain block introduced as such. */
const SAMPLE = (() => {
  const block = markdownSections('README.md')
    .flatMap((section) => section.blocks)
    .find((candidate) => candidate.lang === '' && /`npm start` prints:\s*$/.test(candidate.before));
  if (!block) throw new Error('README.md has no code block introduced by "`npm start` prints:"');
  return block.text;
})();

/** The sample as a pattern for a run on `port` and `appPort`; the password is captured. */
function samplePattern(port: number, appPort: number): RegExp {
  const escaped = SAMPLE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replaceAll('127\\.0\\.0\\.1:3000', `127\\.0\\.0\\.1:${port}`)
    .replaceAll('127\\.0\\.0\\.1:3001', `127\\.0\\.0\\.1:${appPort}`)
    .replace('<generated password>', '([\\w-]{12})')
    // The outbox is shown relative to where the demo runs: here `data/` under the working directory.
    .replace('\\.gatehouse/outbox\\.jsonl', 'data/outbox\\.jsonl');
  return new RegExp(`^${escaped}$`);
}

/** A banner's last line: the demo is ready. */
const READY = /Ctrl-C stops both\.\n/;

interface DemoFile {
  issuer: string;
  appUrl: string;
  apiAudience: string;
  user: { password: string };
  web: { clientId: string };
  machine: { clientId: string };
}

const root = mkdtempSync(join(tmpdir(), 'gh-demo-'));
const dataDir = join(root, 'data');
const readState = () => JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as DemoFile;
const blockers: Server[] = [];

afterAll(async () => {
  await killDemos();
  await Promise.all(blockers.map((blocker) => new Promise((resolve) => blocker.close(resolve))));
  rmSync(root, { recursive: true, force: true });
});

/** Something else listening on `port` at 127.0.0.1. */
async function occupy(port: number): Promise<void> {
  const blocker = createServer();
  blockers.push(blocker);
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
}

function freePorts(): Promise<[number, number]> {
  return Promise.all([freePort(), freePort()]).then(([a, b]) => (a === b ? freePorts() : [a, b]));
}

describe('npm start', () => {
  let first: { demo: RunningDemo; port: number; appPort: number; state: DemoFile };

  beforeAll(async () => {
    const [port, appPort] = await freePorts();
    const demo = startDemo({ cwd: root, dataDir, port, appPort });
    await demo.waitFor(READY);
    first = { demo, port, appPort, state: readState() };
  }, 90_000);

  it("prints exactly the README's sample (but for the ports and the generated password)", () => {
    const printed = first.demo.output();
    const match = samplePattern(first.port, first.appPort).exec(printed);
    expect(match, `printed:\n${printed}\nREADME:\n${SAMPLE}`).not.toBeNull();
    expect(match![1]).toBe(first.state.user.password);
  });

  it('stops Gatehouse and the app on SIGTERM, and exits 0', async () => {
    const [gatehouse] = gatehouseServing(first.port);
    expect(gatehouse).toBeDefined();
    process.kill(first.demo.pid, 'SIGTERM');
    expect(await first.demo.exited).toEqual({ code: 0, signal: null });
    expect(gatehouseServing(first.port)).toEqual([]);
    expect(await accepts(first.port)).toBe(false);
    expect(await accepts(first.appPort)).toBe(false);
  });

  describe('started again on other ports', () => {
    let port: number;
    let appPort: number;
    let demo: RunningDemo;

    beforeAll(async () => {
      [port, appPort] = await freePorts();
      demo = startDemo({ cwd: root, dataDir, port, appPort });
      await demo.waitFor(READY);
    }, 90_000);

    it('reuses its clients, with their redirect URIs and audience moved to the new app port', async () => {
      const state = readState();
      const appUrl = `http://127.0.0.1:${appPort}`;
      expect(state).toMatchObject({ issuer: `http://127.0.0.1:${port}`, appUrl, apiAudience: `${appUrl}/api` });
      expect([state.web.clientId, state.machine.clientId]).toEqual([first.state.web.clientId, first.state.machine.clientId]);

      // `clients list --json` has every field of every client: still the first run's two, moved.
      const clients = parseJson<Record<string, unknown>[]>(await runCliOk(['clients', 'list', '--json', '--data', dataDir], { cwd: root, dev: true }));
      expect(clients).toHaveLength(2);
      expect(clients.find((client) => client.client_id === state.web.clientId)).toMatchObject({
        redirect_uris: [`${appUrl}/authorize`],
        post_logout_redirect_uris: [`${appUrl}/`],
        resources: [`${appUrl}/api`],
      });
      expect(clients.find((client) => client.client_id === state.machine.clientId)).toMatchObject({ resources: [`${appUrl}/api`] });

      // The machine client example gets a token for the new audience and reads the app's API.
      const example = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [join(REPO_ROOT, 'dist-examples', 'machine-client.js')], {
          cwd: root,
          env: { ...process.env, GATEHOUSE_DATA_DIR: dataDir },
        });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        child.once('error', reject);
        child.once('close', () => resolve(out));
      });
      expect(example).toMatch(/^200 \{/);
      // Before any user opened their notes there are none, and the example says why (not a bare []).
      expect(example).toContain('No notes yet: the app creates a user');
      // And the banner is the README's again, with the same password.
      expect(samplePattern(port, appPort).exec(demo.output())?.[1]).toBe(first.state.user.password);
    }, 60_000);

    it('stops the app and exits non-zero when Gatehouse dies', async () => {
      const [gatehouse] = gatehouseServing(port);
      expect(gatehouse).toBeDefined();
      process.kill(gatehouse!, 'SIGKILL');
      expect((await demo.exited).code).toBe(1);
      expect(demo.output()).toMatch(/\nerror: Gatehouse stopped unexpectedly \(SIGKILL\); stopped the Notes app too\n$/);
      expect(await accepts(appPort)).toBe(false);
    });
  });

  describe('with a port already in use', () => {
    /** The demo's whole output: one line naming the port, its flag and a command line that picks others. */
    const oneLine = (port: number, role: string) =>
      new RegExp(`^error: port ${port} \\(${role}\\) is already in use; pick other ports: npm start -- --port \\d+ --app-port \\d+\\n$`);

    it.each([
      ['the app port', '--app-port, the Notes app'],
      ["Gatehouse's port", '--port, Gatehouse'],
    ] as const)(
      '%s: says so in one line, starts nothing and leaves no process behind',
      async (which, role) => {
        const [port, appPort] = await freePorts();
        const busy = which === 'the app port' ? appPort : port;
        await occupy(busy);
        const demo = startDemo({ cwd: root, dataDir, port, appPort });
        const { code } = await demo.exited;
        // Nothing left behind: no Gatehouse for its port, nothing listening (but the blocker).
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(gatehouseServing(port), 'gatehouse start processes left behind').toEqual([]);
        if (busy !== port) expect(await accepts(port)).toBe(false);
        if (busy !== appPort) expect(await accepts(appPort)).toBe(false);
        expect(code).toBe(1);
        expect(demo.output()).toMatch(oneLine(busy, role));
      },
      60_000,
    );
  });
});
