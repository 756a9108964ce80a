/**
 * Shared set-up of the browser-flow interoperability tests: users and clients are registered with
 * the real CLI, and a {@link UserAgent} signs in and consents through Gatehouse's HTML pages.
 */
import * as client from 'openid-client';
import { expect } from 'vitest';
import { parseJson, runCliOk, type Workspace } from '../helpers/cli.js';
import { parseForms, type Page, type UserAgent } from '../helpers/user-agent.js';

export interface TestUser {
  sub: string;
  username: string;
  password: string;
  email: string;
  name: string;
}

/** `gatehouse users add ... --password-stdin --json`. */
export async function addUser(ws: Workspace, username: string, name: string): Promise<TestUser> {
  const email = `${username}@example.com`;
  const password = `correct horse battery staple ${username}`;
  const result = await runCliOk(
    ['users', 'add', '--username', username, '--email', email, '--email-verified', '--name', name, '--password-stdin', '--json', '--data', ws.dataDir],
    { cwd: ws.cwd, dev: true, stdin: `${password}\n` },
  );
  const { sub } = parseJson<{ sub: string }>(result);
  expect(sub).toEqual(expect.any(String));
  return { sub, username, password, email, name };
}

export interface RegisteredClient {
  clientId: string;
  /** `undefined` for a public client. */
  clientSecret: string | undefined;
}

/** `gatehouse clients add ... --json` for a client that signs users in. */
export async function addClient(
  ws: Workspace,
  options: { name: string; redirectUri: string; postLogoutRedirectUri?: string; authMethod?: 'client_secret_basic' | 'client_secret_post' | 'none' },
): Promise<RegisteredClient> {
  const args = ['clients', 'add', '--name', options.name, '--redirect-uri', options.redirectUri];
  if (options.postLogoutRedirectUri) args.push('--post-logout-redirect-uri', options.postLogoutRedirectUri);
  if (options.authMethod) args.push('--auth-method', options.authMethod);
  const added = parseJson<{ client_id: string; client_secret: string | null; token_endpoint_auth_method: string; scope: string }>(
    await runCliOk([...args, '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true }),
  );
  expect(added.token_endpoint_auth_method).toBe(options.authMethod ?? 'client_secret_basic');
  expect(added.scope.split(' ')).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));
  return { clientId: added.client_id, clientSecret: added.client_secret ?? undefined };
}

/** Whether a page shows Gatehouse's login form. */
export function isLoginPage(page: Page): boolean {
  return parseForms(page.body).some((form) => form.action.includes('/login') && 'password' in form.fields);
}

/** Whether a page shows Gatehouse's consent form. */
export function isConsentPage(page: Page): boolean {
  return parseForms(page.body).some((form) => form.action.includes('/consent') && form.buttons.some((b) => b.name === 'decision' && b.value === 'approve'));
}

export interface SignInResult {
  /** The last page: a redirect to the client (url = its Location, body empty) or a form_post page. */
  page: Page;
  /** Which pages the user went through. */
  sawLogin: boolean;
  sawConsent: boolean;
  /** Every redirect Location followed or stopped at. */
  locations: string[];
}

/**
 * Opens `url` in the browser and plays the user: signs in when the login form shows, approves when
 * the consent form shows, and stops at the first redirect whose Location `stopAt` accepts (or at a
 * page that is neither login nor consent, such as a form_post page).
 */
export async function signIn(ua: UserAgent, url: string, user: TestUser, stopAt: (location: string) => boolean): Promise<SignInResult> {
  const locations: string[] = [];
  const stop = (location: string) => {
    locations.push(location);
    return stopAt(location);
  };
  let sawLogin = false;
  let sawConsent = false;
  let page = await ua.open(url, {}, stop);
  for (let step = 0; step < 5; step += 1) {
    if (isLoginPage(page)) {
      expect(sawLogin, 'the login form showed again (wrong password?)').toBe(false);
      sawLogin = true;
      page = await ua.submit(page, { username: user.username, password: user.password }, { actionPart: '/login', stopAt: stop });
    } else if (isConsentPage(page)) {
      expect(sawConsent, 'the consent form showed twice').toBe(false);
      sawConsent = true;
      page = await ua.submit(page, {}, { actionPart: '/consent', button: { name: 'decision', value: 'approve' }, stopAt: stop });
    } else {
      break;
    }
  }
  return { page, sawLogin, sawConsent, locations };
}

/**
 * An authorization request with PKCE (S256), state and nonce, as openid-client builds it, with
 * `extra` parameters; the checks its code redemption needs.
 */
export async function authorizationRequest(config: client.Configuration, redirectUri: string, scope: string, extra: Record<string, string> = {}) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: expectedState,
    nonce: expectedNonce,
    ...extra,
  });
  return { url, checks: { pkceCodeVerifier, expectedState, expectedNonce } };
}
