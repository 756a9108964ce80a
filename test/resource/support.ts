/**
 * Shared set-up of the resource-guard tests: a real Gatehouse authorization server listening on a
 * loopback port (the guard reaches it over HTTP, as it would in production), its machine and
 * resource-server clients, a `fetch` that counts what the guard asks the issuer (and can inject
 * faults), and helpers that forge tokens with the issuer's own keys.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK, type JWTHeaderParameters } from 'jose';
import { expect } from 'vitest';
import { createAuthorizationServer, type AuthorizationServer } from '../../src/server/authorization-server.js';
import type { AuthorizationServerOptions } from '../../src/server/options.js';
import type { ResourceGuard } from '../../src/resource/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { basic, encodeForm, SECRET, startServer, type FormFields, type TestClient, type TestServer } from '../helpers/server.js';
export { freePort } from '../helpers/ports.js';

/** The API the guard protects (RFC 8707 resource indicator). */
export const API = 'https://api.example';

/**
 * The system clock behind the {@link FakeClock} interface the test helpers take: a server that
 * the guard reaches over the network must issue tokens valid *now*, not at the helpers' fixed T0.
 */
export class SystemClock extends FakeClock {
  override now(): number {
    return Date.now();
  }
}

/** A Gatehouse server on `http://127.0.0.1:<port>` with the clients the guard tests need. */
export interface RunningIssuer {
  /** `http://127.0.0.1:<port>`: the issuer identifier and its origin. */
  issuer: string;
  port: number;
  /** In-process helpers over the same server and store (register clients, browser flows). */
  test: TestServer;
  /** A client_credentials client allowed `notes:read notes:write` and the resource {@link API}. */
  machine: TestClient;
  /** A confidential client with `isResourceServer`: may introspect any token. */
  resourceServer: TestClient;
  /** Client-credentials access token over HTTP; for {@link API} unless `resource` is given (`null`: none, i.e. the default audience). */
  token(scope?: string, options?: { client?: TestClient; resource?: string | null }): Promise<string>;
  /** POST a form over HTTP, authenticated as `client` with Basic. */
  post(path: string, form: FormFields, client: TestClient): Promise<Response>;
  /** Revokes `token` at the server (RFC 7009), as `client`. */
  revoke(token: string, client?: TestClient): Promise<void>;
  /**
   * Replaces the running server by a new instance on the same store and port, as after a
   * redeploy: it loads the keys the store holds now (e.g. after a rotation).
   */
  restart(): Promise<AuthorizationServer>;
  /** Stops listening (the port is closed: connections are refused); the server and store live on. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** The private key the server signs with for `kid`, decrypted the way the server does. */
  privateKey(kid: string): Promise<CryptoKey>;
  close(): Promise<void>;
}

/** Binds `handler` on 127.0.0.1 at `port` (0: any free port). */
export function listen(handler: (request: Request) => Response | Promise<Response>, port = 0): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: handler, hostname: '127.0.0.1', port }, () => resolve(server));
    server.once('error', reject);
  });
}

/** Closes an HTTP server, dropping kept-alive connections so the port is free at once. */
export function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve, reject) => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Starts Gatehouse on a loopback port (a given one, e.g. to bring a "down" issuer back) and
 * registers the machine and resource-server clients.
 */
export async function startIssuer(
  options: { port?: number; server?: Partial<Omit<AuthorizationServerOptions, 'issuer' | 'store' | 'clock' | 'secret'>> } = {},
): Promise<RunningIssuer> {
  let current: AuthorizationServer | undefined;
  const handler = (request: Request) => (current ? current.fetch(request) : new Response('starting', { status: 503 }));
  // The issuer needs the port, and the server needs the issuer: bind first, delegate afterwards.
  let http: ServerType | undefined = await listen(handler, options.port ?? 0);
  const port = (http.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const clock = new SystemClock();
  const test = await startServer({ ...options.server, issuer, clock });
  current = test.server;
  const machine = await test.register({ name: 'Notes worker', grantTypes: ['client_credentials'], scope: 'notes:read notes:write', resources: [API] });
  const resourceServer = await test.register({ name: 'Notes API', grantTypes: ['client_credentials'], scope: '', isResourceServer: true });

  const post = (path: string, form: FormFields, client: TestClient) =>
    fetch(`${issuer}${path}`, {
      method: 'POST',
      headers: { Authorization: basic(client.clientId, client.clientSecret), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: encodeForm(form),
    });

  return {
    issuer,
    port,
    test,
    machine,
    resourceServer,
    post,
    async token(scope = 'notes:read notes:write', { client = machine, resource = API } = {}) {
      const response = await post('/token', { grant_type: 'client_credentials', scope, ...(resource === null ? {} : { resource }) }, client);
      const body = (await response.json()) as { access_token?: string };
      if (response.status !== 200 || typeof body.access_token !== 'string') throw new Error(`expected a token, got ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async revoke(token, client = machine) {
      const response = await post('/revoke', { token }, client);
      expect(response.status).toBe(200);
    },
    async restart() {
      const previous = current!;
      const next = createAuthorizationServer({ logger: false, ...options.server, issuer, secret: SECRET, store: test.store, clock });
      await next.ready();
      current = next;
      await previous.close();
      return next;
    },
    async privateKey(kid) {
      const record = (await test.store.keys.list()).find((key) => key.kid === kid);
      if (!record) throw new Error(`no key ${kid} in the store`);
      const jwk = JSON.parse(test.secretKeys.decrypt(record.encryptedPrivateJwk, `signing-key:${kid}`)) as JWK;
      return (await importJWK(jwk, record.alg)) as CryptoKey;
    },
    async down() {
      if (http) await closeServer(http);
      http = undefined;
    },
    async up() {
      http ??= await listen(handler, port);
    },
    async close() {
      await current?.close();
      if (http) await closeServer(http);
      http = undefined;
    },
  };
}

/** What the guard asked the network for, by URL; and faults to inject per path. */
export interface CountingFetch {
  fetch: typeof fetch;
  /** Every URL requested, in order. */
  readonly urls: string[];
  /** How many requests went to `path` (e.g. `/jwks`, `/introspect`). */
  count(path: string): number;
  /** Answers requests to `path` with `respond()` instead of the network (`undefined`: stop). */
  fault(path: string, respond: (() => Response | Promise<Response>) | undefined): void;
}

/** A `fetch` for the guard's `fetch` option that records every request it makes. */
export function countingFetch(): CountingFetch {
  const urls: string[] = [];
  const faults = new Map<string, () => Response | Promise<Response>>();
  const fetcher: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    urls.push(url);
    const fault = faults.get(new URL(url).pathname);
    return fault ? fault() : fetch(input, init);
  };
  return {
    fetch: fetcher,
    urls,
    count: (path) => urls.filter((url) => new URL(url).pathname === path).length,
    fault(path, respond) {
      if (respond) faults.set(path, respond);
      else faults.delete(path);
    },
  };
}

/** The header and claims of a genuine token, for re-signing under another header, key or claims. */
export function partsOf(token: string): { header: JWTHeaderParameters; claims: Record<string, unknown> } {
  return { header: decodeProtectedHeader(token) as JWTHeaderParameters, claims: decodeJwt(token) };
}

/** Signs `claims` with `key` under `header`. */
export function sign(header: JWTHeaderParameters, claims: Record<string, unknown>, key: CryptoKey | Uint8Array): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

/** Re-signs a genuine token with the issuer's own key, changing only what is given. */
export async function resign(
  issuer: RunningIssuer,
  token: string,
  changes: { header?: Partial<JWTHeaderParameters>; claims?: Record<string, unknown> } = {},
): Promise<string> {
  const { header, claims } = partsOf(token);
  return sign({ ...header, ...changes.header }, { ...claims, ...changes.claims }, await issuer.privateKey(header.kid!));
}

/** The guard's answer to a request carrying `token`, as a Response (what an API would send). */
export async function answer(guard: ResourceGuard, token: string | undefined, options?: { scopes?: string[] }): Promise<Response> {
  const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const result = await guard.check(new Request(`${API}/notes`, { headers }), options);
  return result.response ?? Response.json({ sub: result.token.sub }, { status: 200 });
}

/** Asserts an RFC 6750 §3 error answer; returns the parsed body. */
export async function expectBearerError(response: Response, status: number, error: string): Promise<{ error: string; error_description: string }> {
  const body = await response.text();
  expect(response.status, body).toBe(status);
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(new RegExp(`^Bearer realm="api", error="${error}", error_description="[^"]+"`));
  expect(response.headers.get('cache-control')).toBe('no-store');
  const parsed = JSON.parse(body) as { error: string; error_description: string };
  expect(parsed.error).toBe(error);
  return parsed;
}
