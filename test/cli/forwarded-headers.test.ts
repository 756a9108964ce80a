/**
 * GATEHOUSE_TRUSTED_PROXIES, GATEHOUSE_FORWARDED_HEADER and GATEHOUSE_METRICS_TOKEN through the
 * real binary. GATEHOUSE_SECRET and the default loopback issuer work in development and production mode.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { basicAuth, createWorkspace, killAll, parseJson, runCli, runCliOk, startServer } from '../helpers/cli.js';

const SECRET = 'forwarded-cli-test-secret-0123456789-abcdef';
const METRICS_TOKEN = 'cli-scrape-token-0123456789';

describe('gatehouse start behind a proxy', () => {
  const workspace = createWorkspace();
  afterAll(async () => {
    await killAll();
    workspace.remove();
  });
  const env = { GATEHOUSE_SECRET: SECRET };

  it('reads only the header family GATEHOUSE_FORWARDED_HEADER names, from GATEHOUSE_TRUSTED_PROXIES, and guards /metrics with GATEHOUSE_METRICS_TOKEN', async () => {
    const addClient = async (allowedIp: string) =>
      parseJson<{ client_id: string; client_secret: string }>(
        await runCliOk(
          [
            'clients',
            'add',
            '--name',
            `Job at ${allowedIp}`,
            '--grant',
            'client_credentials',
            '--allowed-ip',
            `${allowedIp}/32`,
            '--json',
            '--data',
            workspace.dataDir,
          ],
          {
            cwd: workspace.cwd,
            env,
          },
        ),
      );
    await runCliOk(['migrate', '--data', workspace.dataDir], { cwd: workspace.cwd, env });
    const real = await addClient('203.0.113.7');
    const claimed = await addClient('10.9.9.9');
    const server = await startServer({
      cwd: workspace.cwd,
      dataDir: workspace.dataDir,
      env: { ...env, GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1', GATEHOUSE_FORWARDED_HEADER: 'forwarded', GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN },
    });
    // The proxy writes Forwarded; the client sent an X-Forwarded-For of its choosing.
    const headers = { forwarded: 'for=203.0.113.7;proto=https', 'x-forwarded-for': '10.9.9.9' };
    const token = (client: { client_id: string; client_secret: string }, forwarding: Record<string, string> = headers) =>
      fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.client_id, client.client_secret), ...forwarding },
        body: 'grant_type=client_credentials',
      });
    expect((await token(real)).status).toBe(200);
    expect((await token(claimed)).status).toBe(403);
    // X-Forwarded-For alone is not read either: the client is then the proxy (127.0.0.1).
    expect((await token(claimed, { 'x-forwarded-for': '10.9.9.9' })).status).toBe(403);

    const unauthenticated = await fetch(`${server.issuer}/metrics`);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse-metrics"');
    expect((await fetch(`${server.issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    expect(await server.stop()).toBe(0);

    // The audit log records the address the proxy reported, not the one the client claimed.
    const tail = parseJson<{ type: string; client_id: string | null; ip: string | null }[]>(
      await runCliOk(['audit', 'tail', '--json', '--data', workspace.dataDir], { cwd: workspace.cwd, env }),
    );
    const ips = (type: string, clientId: string) => tail.filter((event) => event.type === type && event.client_id === clientId).map((event) => event.ip);
    expect(ips('token.issued', real.client_id)).toEqual(['203.0.113.7']);
    expect(ips('client.address_refused', claimed.client_id)).toEqual(['203.0.113.7', '127.0.0.1']);
  }, 60_000);

  it('refuses a bad GATEHOUSE_FORWARDED_HEADER, and a metrics token in the config file', async () => {
    const badHeader = await runCli(['start', '--port', '0', '--data', workspace.dataDir], {
      cwd: workspace.cwd,
      env: { ...env, GATEHOUSE_FORWARDED_HEADER: 'x-real-ip' },
    });
    expect(badHeader.code).not.toBe(0);
    expect(badHeader.stderr).toContain('GATEHOUSE_FORWARDED_HEADER');

    const cwd = createWorkspace();
    try {
      writeFileSync(join(cwd.cwd, 'gatehouse.config.json'), JSON.stringify({ forwardedHeader: 'forwarded', metricsToken: METRICS_TOKEN }));
      const inFile = await runCli(['start', '--port', '0', '--data', cwd.dataDir], { cwd: cwd.cwd, env });
      expect(inFile.code).not.toBe(0);
      expect(inFile.stderr).toContain('GATEHOUSE_METRICS_TOKEN');
    } finally {
      cwd.remove();
    }
  }, 60_000);
});
