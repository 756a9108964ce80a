/**
 * Built-in HTTPS: `gatehouse start --tls-cert --tls-key` serves TLS with HSTS, and SIGHUP swaps in
 * a renewed certificate without a restart.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, startServer } from '../helpers/cli.js';

/** A self-signed certificate for 127.0.0.1 and localhost, written to `dir`. */
function makeCertificate(dir: string, name: string): { cert: string; key: string; fingerprint: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key, fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

/** GETs `url` over TLS, returning the status, headers and the certificate the server presented. */
function get(url: string): Promise<{ status: number; headers: Record<string, unknown>; fingerprint: string; body: string }> {
  return new Promise((resolve, reject) => {
    // The test trusts whatever it is shown: it checks which certificate that was.
    const req = request(url, { rejectUnauthorized: false, agent: false }, (res) => {
      if (!(res.socket instanceof TLSSocket)) {
        reject(new Error(`${url} was not answered over TLS`));
        return;
      }
      const fingerprint = res.socket.getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, fingerprint, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('gatehouse start with built-in TLS', () => {
  const workspace = createWorkspace();
  afterAll(async () => {
    await killAll();
    workspace.remove();
  });

  it('serves https with HSTS, and SIGHUP reloads a renewed certificate', async () => {
    const first = makeCertificate(workspace.cwd, 'first');
    const server = await startServer({ cwd: workspace.cwd, dataDir: workspace.dataDir, dev: true, args: ['--tls-cert', first.cert, '--tls-key', first.key] });
    expect(server.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const discovery = await get(`${server.issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect((JSON.parse(discovery.body) as { issuer: string }).issuer).toBe(server.issuer);
    expect(discovery.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(discovery.fingerprint).toBe(first.fingerprint);

    // Renewal: new files in place, then SIGHUP.
    const renewed = makeCertificate(workspace.cwd, 'renewed');
    execFileSync('cp', [renewed.cert, first.cert]);
    execFileSync('cp', [renewed.key, first.key]);
    process.kill(server.pid, 'SIGHUP');
    let served = '';
    for (let attempt = 0; attempt < 50 && served !== renewed.fingerprint; attempt += 1) {
      served = (await get(`${server.issuer}/healthz`)).fingerprint;
      if (served !== renewed.fingerprint) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(served).toBe(renewed.fingerprint);
    expect(await server.stop()).toBe(0);
  }, 60_000);
});
