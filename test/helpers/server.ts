import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyResult } from 'jose';
import { SecretKeys } from '../../src/core/secret.js';
import { generateSigningKey, SIGNING_ALGS } from '../../src/server/keys/signing-keys.js';
import { registerClient, type NewClientInput } from '../../src/server/admin/clients.js';
import { createAuthorizationServer, type AuthorizationServer } from '../../src/server/authorization-server.js';
import type { AuthorizationServerOptions } from '../../src/server/options.js';
import type { ClientRecord, SigningKeyRecord, Store } from '../../src/stores/contract.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { FakeClock, T0 } from './fake-clock.js';

/** The issuer most endpoint tests use: loopback http, so production mode accepts it. */
export const ISSUER = 'http://localhost:3000';
/** The installation secret of every test server. */
export const SECRET = 'x'.repeat(40);

/** A registered confidential client and the secret it was given (shown once at registration). */
export interface TestClient {
  clientId: string;
  clientSecret: string;
  record: ClientRecord;
}

/** Form fields: a repeated field is given as an array. */
export type FormFields = Record<string, string | string[]>;

export interface RequestInit {
  headers?: Record<string, string>;
}

/** A server driven only through `server.fetch`, with the store, clock and keys it was built with. */
export interface TestServer {
  server: AuthorizationServer;
  store: Store;
  secretKeys: SecretKeys;
  clock: FakeClock;
  issuer: string;
  /** Registers a client through the admin function; defaults: a client_credentials client with scope `read write`. */
  register(input?: Partial<NewClientInput>): Promise<TestClient>;
  /** GET `path` (relative to the origin, e.g. `/jwks`, or an absolute URL). */
  get(path: string, init?: RequestInit): Promise<Response>;
  /** POST a form-encoded body to `path`. */
  post(path: string, form: FormFields | string, init?: RequestInit): Promise<Response>;
  /** Client credentials token request, authenticated by the client's registered method. */
  requestToken(client: TestClient, fields?: FormFields): Promise<Response>;
  /** A client credentials access token; fails the test unless the server issues one. */
  issueToken(client: TestClient, fields?: FormFields): Promise<string>;
  /** Introspects `token` authenticated as `client`; returns the parsed body, asserting a 200. */
  introspect(client: TestClient, token: string): Promise<Record<string, unknown>>;
  /** The JWK Set the server publishes. */
  jwks(): Promise<JSONWebKeySet>;
  /** Verifies an access token against the published JWKS at the server's current time. */
  verify(token: string): Promise<JWTVerifyResult>;
}

export interface TestServerOptions extends Partial<Omit<AuthorizationServerOptions, 'store' | 'clock'>> {
  store?: Store;
  clock?: FakeClock;
  /**
   * Seed the store with signing keys generated once per test file instead of letting the server
   * generate a fresh RSA key per test (slow). Default true; set false when key identity matters.
   */
  seedKeys?: boolean;
}

let cachedKeys: Promise<SigningKeyRecord[]> | undefined;

/** Signing keys generated once per worker, encrypted under {@link SECRET}. */
function sharedKeys(): Promise<SigningKeyRecord[]> {
  cachedKeys ??= Promise.all(SIGNING_ALGS.map((alg) => generateSigningKey(alg, new SecretKeys(SECRET), T0)));
  return cachedKeys;
}

/**
 * Builds an authorization server on an in-memory store with a fake clock shared by the store and
 * the server (so artifact expiry and token expiry agree), and waits until it is ready.
 */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { seedKeys = true, clock = new FakeClock(), store: givenStore, ...rest } = options;
  const store = givenStore ?? createMemoryStore({ clock });
  if (seedKeys && (await store.keys.list()).length === 0) {
    await store.keys.rotate(await sharedKeys(), clock.now());
  }
  const secret = rest.secret ?? SECRET;
  const issuer = rest.issuer ?? ISSUER;
  const server = createAuthorizationServer({ logger: false, ...rest, issuer, secret, store, clock });
  await server.ready();
  const secretKeys = new SecretKeys(secret);
  const origin = new URL(issuer).origin;
  const base = issuer.replace(/^https?:\/\/[^/]+/, '');
  const url = (path: string): string => (/^https?:/.test(path) ? path : `${origin}${path}`);

  const get = (path: string, init: RequestInit = {}): Promise<Response> => server.fetch(new Request(url(path), { method: 'GET', headers: init.headers ?? {} }));

  const post = (path: string, form: FormFields | string, init: RequestInit = {}): Promise<Response> =>
    server.fetch(
      new Request(url(path), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...init.headers },
        body: typeof form === 'string' ? form : encodeForm(form),
      }),
    );

  /** POST with the client authenticated by the method it was registered for. */
  const postAs = (client: TestClient, path: string, fields: FormFields): Promise<Response> =>
    client.record.tokenEndpointAuthMethod === 'client_secret_post'
      ? post(path, { ...fields, client_id: client.clientId, client_secret: client.clientSecret })
      : post(path, fields, { headers: { Authorization: basic(client.clientId, client.clientSecret) } });

  const requestToken = (client: TestClient, fields: FormFields = {}): Promise<Response> =>
    postAs(client, `${base}/token`, { grant_type: 'client_credentials', ...fields });

  const jwks = async (): Promise<JSONWebKeySet> => (await (await get(`${base}/jwks`)).json()) as JSONWebKeySet;

  return {
    server,
    store,
    secretKeys,
    clock,
    issuer,
    async register(input = {}) {
      const { client, clientSecret } = await registerClient(
        store,
        secretKeys,
        { name: 'Test client', grantTypes: ['client_credentials'], scope: 'read write', ...input },
        clock.now(),
      );
      if (clientSecret === null) throw new Error('register() is for confidential clients');
      return { clientId: client.clientId, clientSecret, record: client };
    },
    get,
    post,
    requestToken,
    async issueToken(client, fields = {}) {
      const response = await requestToken(client, fields);
      const body = (await response.json()) as Record<string, unknown>;
      if (response.status !== 200 || typeof body.access_token !== 'string') {
        throw new Error(`expected a token, got ${response.status} ${JSON.stringify(body)}`);
      }
      return body.access_token;
    },
    async introspect(client, token) {
      const response = await postAs(client, `${base}/introspect`, { token });
      if (response.status !== 200) throw new Error(`introspection answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as Record<string, unknown>;
    },
    jwks,
    async verify(token) {
      return jwtVerify(token, createLocalJWKSet(await jwks()), { currentDate: new Date(clock.now()) });
    },
  };
}

/** `application/x-www-form-urlencoded` serialisation (arrays become repeated fields). */
export function encodeForm(fields: FormFields): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, item);
  }
  return search.toString();
}

/** Form-urlencodes one value, as RFC 6749 §2.3.1 requires for each half of Basic credentials. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** `Authorization: Basic` per RFC 6749 §2.3.1: id and secret form-urlencoded, joined by `:`, Base64. */
export function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

/** Basic credentials from a raw `user-pass` string, with no encoding applied. */
export function rawBasic(userPass: string): string {
  return `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;
}

/** Decodes the JSON body of an OAuth error response, checking the RFC 6749 §5.2 shape. */
export async function errorBody(response: Response): Promise<{ error: string; error_description?: string }> {
  const body = (await response.json()) as { error: string; error_description?: string };
  if (typeof body.error !== 'string') throw new Error(`not an OAuth error body: ${JSON.stringify(body)}`);
  return body;
}
