/**
 * Helpers for end-user flows (authorization code with sign-in, consent, refresh, logout) driven
 * only through the server's fetch handler: a small cookie-jar browser, PKCE, test users hashed once
 * per worker, and token requests authenticated the way each client was registered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { registerClient, type NewClientInput } from '../../src/server/admin/clients.js';
import { createUser } from '../../src/server/admin/users.js';
import type { ClientRecord, Store, UserRecord } from '../../src/stores/contract.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { T0 } from './fake-clock.js';
import { basic, encodeForm, startServer, type FormFields, type TestClient, type TestServer, type TestServerOptions } from './server.js';
import { parseForms, type HtmlForm } from './user-agent.js';

// ---------------------------------------------------------------------------------------------
// Users

/** A test user: the stored record and the password that signs them in. */
export interface TestUser {
  record: UserRecord;
  username: string;
  password: string;
}

export type UserName = 'alice' | 'bob';

const USER_INPUTS = {
  alice: { username: 'alice', email: 'alice@example.com', emailVerified: true, name: 'Alice Liddell', password: 'alice-password-1' },
  bob: { username: 'bob', email: 'bob@example.com', emailVerified: false, name: 'Bob Builder', password: 'bob-password-12' },
} as const;

let hashedUsers: Promise<Record<UserName, TestUser>> | undefined;

/** alice and bob, hashed once per worker (argon2id is slow); {@link seedUsers} copies them into a store. */
export function testUsers(): Promise<Record<UserName, TestUser>> {
  hashedUsers ??= (async () => {
    const scratch = createMemoryStore();
    const entries = await Promise.all(
      (Object.keys(USER_INPUTS) as UserName[]).map(async (name) => {
        const input = USER_INPUTS[name];
        const record = await createUser(scratch, input, T0);
        return [name, { record, username: input.username, password: input.password }] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<UserName, TestUser>;
  })();
  return hashedUsers;
}

/** Copies the shared test users into `store` (same ids and password hashes). */
export async function seedUsers(store: Store): Promise<Record<UserName, TestUser>> {
  const users = await testUsers();
  for (const user of Object.values(users)) await store.users.create(structuredClone(user.record));
  return users;
}

// ---------------------------------------------------------------------------------------------
// Clients

/** A client that sends users to the authorization endpoint. `clientSecret` is null for public clients. */
export interface FlowClient {
  clientId: string;
  clientSecret: string | null;
  record: ClientRecord;
  /** The first registered redirect URI. */
  redirectUri: string;
}

export const APP_REDIRECT = 'https://app.example.com/callback';
export const APP_LOGOUT_REDIRECT = 'https://app.example.com/signed-out';

/**
 * Registers a client for the authorization code flow. Defaults: confidential (Basic), redirect URI
 * {@link APP_REDIRECT}, post-logout URI {@link APP_LOGOUT_REDIRECT}, grants authorization_code and
 * refresh_token, the OpenID scopes.
 */
export async function registerFlowClient(server: TestServer, input: Partial<NewClientInput> = {}): Promise<FlowClient> {
  const { client, clientSecret } = await registerClient(
    server.store,
    server.secretKeys,
    { name: 'Example App', redirectUris: [APP_REDIRECT], postLogoutRedirectUris: [APP_LOGOUT_REDIRECT], ...input },
    server.clock.now(),
  );
  return { clientId: client.clientId, clientSecret, record: client, redirectUri: client.redirectUris[0]! };
}

/** The client as `test/helpers/server.ts` expects it (confidential clients only), e.g. for introspection. */
export function asTestClient(client: FlowClient): TestClient {
  if (client.clientSecret === null) throw new Error('a public client has no secret');
  return { clientId: client.clientId, clientSecret: client.clientSecret, record: client.record };
}

// ---------------------------------------------------------------------------------------------
// PKCE and requests

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** RFC 7636 §4.1/§4.2: a random verifier and its S256 challenge. */
export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url') };
}

/** Authorization request parameters; a value of `undefined` removes a default. */
export type AuthorizeParams = Record<string, string | undefined>;

/**
 * The parameters of a typical OpenID Connect request from `client` (response_type=code, scope
 * `openid`, state, nonce, S256 challenge), with `overrides` applied.
 */
export function authorizeParams(client: FlowClient, challenge: string, overrides: AuthorizeParams = {}): Record<string, string> {
  const params: AuthorizeParams = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid',
    state: `state-${randomBytes(6).toString('hex')}`,
    nonce: `nonce-${randomBytes(6).toString('hex')}`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The absolute authorization endpoint URL with `params` in the query. */
export function authorizeUrl(server: TestServer, params: Record<string, string>): string {
  return `${server.issuer}/authorize?${new URLSearchParams(params)}`;
}

/** POST to the token endpoint, authenticated as `client` was registered (Basic, post, or `none`). */
export function tokenRequest(server: TestServer, client: FlowClient, fields: FormFields): Promise<Response> {
  const method = client.record.tokenEndpointAuthMethod;
  if (method === 'client_secret_basic') {
    return server.post('/token', fields, { headers: { Authorization: basic(client.clientId, client.clientSecret!) } });
  }
  if (method === 'client_secret_post') return server.post('/token', { ...fields, client_id: client.clientId, client_secret: client.clientSecret! });
  return server.post('/token', { ...fields, client_id: client.clientId });
}

/** A successful token response, as the flow helpers use it. */
export interface Tokens {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** Redeems a code (RFC 6749 §4.1.3) and returns the raw response. */
export function redeemCode(server: TestServer, client: FlowClient, code: string, verifier: string, extra: FormFields = {}): Promise<Response> {
  return tokenRequest(server, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: client.redirectUri, ...extra });
}

/** Uses a refresh token (RFC 6749 §6) and returns the raw response. */
export function refresh(server: TestServer, client: FlowClient, refreshToken: string, extra: FormFields = {}): Promise<Response> {
  return tokenRequest(server, client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
}

/** Parses a 200 token response, failing with the body otherwise. */
export async function expectTokens(response: Response): Promise<Tokens> {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`expected tokens, got ${response.status}: ${text}`);
  return JSON.parse(text) as Tokens;
}

/** An ID token's protected header and claims, without verifying (callers verify separately where it matters). */
export function readIdToken(token: string): { header: ReturnType<typeof decodeProtectedHeader>; claims: JWTPayload & Record<string, unknown> } {
  return { header: decodeProtectedHeader(token), claims: decodeJwt<Record<string, unknown>>(token) };
}

// ---------------------------------------------------------------------------------------------
// Browser

/** A response as the browser saw it. `location` is set when it stopped at a redirect off the server. */
export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** A redirect that leaves the server (to a client), not followed. */
  location?: URL;
}

export interface OpenInit {
  method?: 'GET' | 'POST';
  /** Form-encoded body (POST). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/**
 * A text-only browser on top of `server.fetch`: keeps cookies (honouring `Max-Age=0`), follows
 * redirects that stay on the server's origin and stops at any other (the client's redirect URI),
 * and submits forms as a user would with JavaScript off. Every response it received is kept in
 * {@link history} (with its body text) for header checks.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** Every `Set-Cookie` header received, in order. */
  readonly setCookies: string[] = [];
  /** Every response received, in order (bodies already read into `body`). */
  readonly history: Page[] = [];
  readonly #server: TestServer;
  readonly #origin: string;

  constructor(server: TestServer) {
    this.#server = server;
    this.#origin = new URL(server.issuer).origin;
  }

  /** Opens `url` (absolute, or a path on the server), following same-origin redirects with GET. */
  async open(url: string, init: OpenInit = {}): Promise<Page> {
    let current = new URL(url, this.#origin).href;
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let form = init.form;
    for (let hops = 0; hops < 20; hops += 1) {
      const headers: Record<string, string> = { ...init.headers, ...this.#cookieHeader() };
      if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await this.#server.server.fetch(new Request(current, { method, headers, ...(form ? { body: encodeForm(form) } : {}) }));
      this.#store(response);
      const body = await response.text();
      const page: Page = { url: current, status: response.status, headers: response.headers, body };
      this.history.push(page);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current);
        if (next.origin !== this.#origin) return { ...page, location: next };
        current = next.href;
        method = 'GET';
        form = undefined;
        continue;
      }
      return page;
    }
    throw new Error('too many redirects');
  }

  /**
   * Submits a form of `page` (the first, or the one whose action contains `actionPart`) with its
   * hidden fields, `values`, and the pressed button's name/value.
   */
  async submit(page: Page, values: Record<string, string> = {}, options: { button?: string; actionPart?: string; omit?: string[] } = {}): Promise<Page> {
    const form = findForm(page, options.actionPart);
    const fields: Record<string, string> = { ...form.fields, ...values };
    if (options.button !== undefined) {
      const button = form.buttons.find((candidate) => candidate.value === options.button);
      if (!button) throw new Error(`no button with value "${options.button}" on ${page.url}`);
      fields[button.name] = button.value;
    }
    const omitted = new Set(options.omit);
    const posted = Object.fromEntries(Object.entries(fields).filter(([name]) => !omitted.has(name)));
    return this.open(new URL(form.action, page.url).href, { method: 'POST', form: posted });
  }

  /** Clears every cookie (a new browser profile, the same history). */
  clearCookies(): void {
    this.cookies.clear();
  }

  #cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  #store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      this.setCookies.push(header);
      const [pair] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/;\s*max-age=0\b/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** The form of a page (the first, or the one whose action contains `actionPart`). */
export function findForm(page: Page, actionPart?: string): HtmlForm {
  const forms = parseForms(page.body);
  const form = actionPart === undefined ? forms[0] : forms.find((candidate) => candidate.action.includes(actionPart));
  if (!form) throw new Error(`no form on ${page.url} (status ${page.status}):\n${page.body.slice(0, 800)}`);
  return form;
}

/** What kind of interaction page this is, judged by its form's action. */
export function pageKind(page: Page): 'login' | 'consent' | 'select-account' | 'other' {
  const action = parseForms(page.body)[0]?.action ?? '';
  if (/\/interaction\/[^/]+\/login$/.test(action)) return 'login';
  if (/\/interaction\/[^/]+\/consent$/.test(action)) return 'consent';
  if (/\/interaction\/[^/]+\/select-account$/.test(action)) return 'select-account';
  return 'other';
}

/** Fails unless the page is the given interaction page. */
export function expectPage(page: Page, kind: 'login' | 'consent' | 'select-account'): Page {
  const actual = page.location ? `redirect to ${page.location.href}` : `${pageKind(page)} page (status ${page.status})`;
  if (page.location || pageKind(page) !== kind) throw new Error(`expected the ${kind} page, got ${actual}:\n${page.body.slice(0, 800)}`);
  return page;
}

/** Submits the login page with the user's credentials. */
export function submitLogin(browser: Browser, page: Page, user: TestUser, password = user.password): Promise<Page> {
  return browser.submit(expectPage(page, 'login'), { username: user.username, password });
}

/** The authorization response parameters of a page that stopped at the client's redirect URI. */
export function callbackParams(page: Page): URLSearchParams {
  if (!page.location) throw new Error(`expected a redirect to the client, got status ${page.status} at ${page.url}:\n${page.body.slice(0, 800)}`);
  return page.location.searchParams;
}

/** The result of a completed authorization: the code and what the client sent and received. */
export interface Authorized {
  code: string;
  verifier: string;
  params: Record<string, string>;
  callback: URLSearchParams;
}

/**
 * Runs an authorization request in `browser` to the code: signs in as `user` when the login page
 * appears and approves consent when asked. Fails if anything else shows up.
 */
export async function authorize(
  browser: Browser,
  server: TestServer,
  client: FlowClient,
  user: TestUser,
  overrides: AuthorizeParams = {},
): Promise<Authorized> {
  const { verifier, challenge } = pkce();
  const params = authorizeParams(client, challenge, overrides);
  let page = await browser.open(authorizeUrl(server, params));
  for (let step = 0; step < 4 && !page.location; step += 1) {
    const kind = pageKind(page);
    if (kind === 'login') page = await submitLogin(browser, page, user);
    else if (kind === 'consent') page = await browser.submit(page, {}, { button: 'approve' });
    else throw new Error(`unexpected page (status ${page.status}) at ${page.url}:\n${page.body.slice(0, 800)}`);
  }
  const callback = callbackParams(page);
  const code = callback.get('code');
  if (code === null) throw new Error(`no code in ${page.location!.href}`);
  return { code, verifier, params, callback };
}

/** {@link authorize} then redeem the code; returns the tokens. */
export async function signIn(
  browser: Browser,
  server: TestServer,
  client: FlowClient,
  user: TestUser,
  overrides: AuthorizeParams = {},
): Promise<Tokens & { authorized: Authorized }> {
  const authorized = await authorize(browser, server, client, user, overrides);
  const tokens = await expectTokens(await redeemCode(server, client, authorized.code, authorized.verifier));
  return { ...tokens, authorized };
}

/** Replaces the per-response CSP nonce, the CSRF token and the username typed (filled in again) so two renderings of a page can be compared. */
export function normalisePage(body: string): string {
  return (
    body
      .replace(/nonce="[^"]*"/g, 'nonce="…"')
      .replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value="…"')
      // The name the user typed, filled in again after a refused sign-in: theirs, whoever they are.
      .replace(/(<input [^>]*id="username"[^>]*value=")[^"]*"/g, '$1…"')
  );
}

// ---------------------------------------------------------------------------------------------
// Setup

/** A server with alice and bob, one flow client and a fresh browser. */
export interface Flow {
  server: TestServer;
  users: Record<UserName, TestUser>;
  client: FlowClient;
  browser: Browser;
}

/** Starts a server (see {@link startServer}), seeds the test users and registers one flow client. */
export async function startFlow(options: TestServerOptions = {}, clientInput: Partial<NewClientInput> = {}): Promise<Flow> {
  const server = await startServer(options);
  const users = await seedUsers(server.store);
  const client = await registerFlowClient(server, clientInput);
  return { server, users, client, browser: new Browser(server) };
}

/**
 * A `prompt=none` request in `browser`: the callback parameters (a code when the browser has a
 * session and consent covers the scopes, otherwise an error).
 */
export async function promptNone(browser: Browser, server: TestServer, client: FlowClient, overrides: AuthorizeParams = {}): Promise<URLSearchParams> {
  const page = await browser.open(authorizeUrl(server, authorizeParams(client, pkce().challenge, { prompt: 'none', ...overrides })));
  return callbackParams(page);
}
