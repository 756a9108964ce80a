/**
 * Acceptance test of upstream sign-in: a Gatehouse server configured with an upstream "GitHub"
 * (the local fake, behaving as GitHub documents) lets a user sign in through it and then into an
 * application through Gatehouse.
 */
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthClient, gatehouse, github, type OAuthClient } from '../../../src/client/index.js';
import { SecretKeys } from '../../../src/core/secret.js';
import { registerClient } from '../../../src/server/admin/clients.js';
import { createUser } from '../../../src/server/admin/users.js';
import { createAuthorizationServer, type AuthorizationServer } from '../../../src/server/authorization-server.js';
import type { Store } from '../../../src/stores/contract.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/fake-github.js';
import { UserAgent, type Page } from '../../helpers/user-agent.js';
import { freePort } from '../../helpers/ports.js';

const SECRET = 'upstream-test-secret-0123456789-abcdefgh';
const APP_CALLBACK = 'http://127.0.0.1:9/app/callback';

interface World {
  fake: FakeGitHub;
  store: Store;
  server: AuthorizationServer;
  app: OAuthClient;
  close(): Promise<void>;
}

/** A fake GitHub, and a listening Gatehouse with `accounts.signUp` whose upstream it is, with the app "Notes" registered. */
async function startWorld(signUp: 'open' | 'invite' | 'off', allowedEmailDomains: string[] = []): Promise<World> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const fake = await startFakeGitHub({ callbackUrl: `${issuer}/upstream/github/callback` });
  const store = createMemoryStore();
  const server = createAuthorizationServer({
    issuer,
    store,
    secret: SECRET,
    logger: false,
    accounts: { signUp, allowedEmailDomains },
    upstreams: [
      {
        id: 'github',
        label: 'GitHub',
        provider: github({ baseUrl: fake.baseUrl }),
        clientId: fake.clientId,
        clientSecret: fake.clientSecret,
        allowInsecureRequests: true,
        keepTokens: true,
      },
    ],
  });
  await server.ready();
  const http: ServerType = serve({ fetch: (request, env) => server.fetch(request, env), port, hostname: '127.0.0.1' });
  const registered = await registerClient(store, new SecretKeys(SECRET), { name: 'Notes', redirectUris: [APP_CALLBACK] }, Date.now());
  const app = createOAuthClient({
    provider: gatehouse(issuer),
    clientId: registered.client.clientId,
    clientSecret: registered.clientSecret!,
    redirectUri: APP_CALLBACK,
    secret: 'app-session-secret-0123456789-abcdefghij',
    allowInsecureRequests: true,
  });
  return {
    fake,
    store,
    server,
    app,
    async close() {
      http.close();
      await server.close();
      await fake.close();
    },
  };
}

/** From the app to Gatehouse's login page, then "Continue with GitHub": the page the browser ends on (the app's callback, or a Gatehouse page). */
async function continueWithGitHub(app: OAuthClient, browser: UserAgent): Promise<{ page: Page; setCookie: string }> {
  const { url, setCookie } = await app.authorizationUrl();
  const stop = (location: string) => location.startsWith(APP_CALLBACK);
  let page = await browser.open(url.href, {}, stop);
  expect(page.body).toContain('Continue with GitHub');
  page = await browser.submit(page, {}, { actionPart: '/upstream/github', stopAt: stop });
  if (page.body.includes('name="decision"')) page = await browser.submit(page, {}, { button: { name: 'decision', value: 'approve' }, stopAt: stop });
  return { page, setCookie };
}

describe('upstream sign-in through GitHub', () => {
  let fake: FakeGitHub;
  let store: Store;
  let server: AuthorizationServer;
  let app: OAuthClient;
  let world: World;

  beforeAll(async () => {
    // The first GitHub sign-in creates the account: only while sign-up is open.
    world = await startWorld('open');
    ({ fake, store, server, app } = world);
  });

  afterAll(() => world?.close());

  /** The app sends the browser to Gatehouse; the user picks "Continue with GitHub" and consents. */
  async function signInThroughGitHub(browser: UserAgent): Promise<{ page: Page; result: Awaited<ReturnType<OAuthClient['handleCallback']>> }> {
    const { page, setCookie } = await continueWithGitHub(app, browser);
    expect(page.url.startsWith(APP_CALLBACK)).toBe(true);
    const result = await app.handleCallback(new Request(page.url, { headers: { cookie: setCookie.split(';')[0]! } }));
    return { page, result };
  }

  it('signs a new user in through GitHub and into the app, with the primary verified email', async () => {
    const { result } = await signInThroughGitHub(new UserAgent());
    expect(result.profile.email).toBe('octocat@github.com');
    expect(result.profile.emailVerified).toBe(true);
    expect(result.profile.name).toBe('The Octocat');
    expect(result.idTokenClaims?.amr).toEqual(['fed']);
    const user = await store.users.findByIdentity('github', String(fake.user.id));
    expect(user?.id).toBe(result.profile.sub);
    expect(user?.passwordHash).toBeNull();
    // The GitHub token was kept (encrypted) and still calls GitHub's API.
    const tokens = await server.upstreamTokens(user!.id, 'github');
    expect(tokens && fake.isActive(tokens.accessToken)).toBe(true);
    const stored = (await store.users.listIdentities(user!.id))[0]!;
    expect(stored.encryptedTokens).not.toContain(tokens!.accessToken);
  });

  it('signs the same GitHub account in as the same user next time, from a new browser', async () => {
    const first = await store.users.findByIdentity('github', String(fake.user.id));
    const { result } = await signInThroughGitHub(new UserAgent());
    expect(result.profile.sub).toBe(first!.id);
  });

  it('links a GitHub account to an existing local user only when both emails are verified', async () => {
    fake.user.id = 7_654_321;
    fake.user.login = 'hubber';
    fake.user.emails = [{ email: 'hubber@example.com', primary: true, verified: true, visibility: null }];
    const local = await createUser(
      store,
      { username: 'hubber-local', email: 'hubber@example.com', emailVerified: true, password: 'a long password' },
      Date.now(),
    );
    const { result } = await signInThroughGitHub(new UserAgent());
    expect(result.profile.sub).toBe(local.id);

    fake.user.id = 1_111_111;
    fake.user.login = 'mallory-target';
    fake.user.emails = [{ email: 'target@example.com', primary: true, verified: true, visibility: null }];
    // Someone registered the victim's address locally without verifying it: no automatic link.
    await createUser(store, { username: 'squatter', email: 'target@example.com', emailVerified: false, password: 'a long password' }, Date.now());
    const browser = new UserAgent();
    const { url } = await app.authorizationUrl();
    const page = await browser.submit(await browser.open(url.href), {}, { actionPart: '/upstream/github' });
    expect(page.body).toContain('An account with this email already exists');
    expect(await store.users.findByIdentity('github', '1111111')).toBeUndefined();
  });

  it('shows a friendly page when the user cancels at GitHub', async () => {
    fake.denyAccess = true;
    try {
      const browser = new UserAgent();
      const { url } = await app.authorizationUrl();
      const page = await browser.submit(await browser.open(url.href), {}, { actionPart: '/upstream/github' });
      expect(page.status).toBe(400);
      expect(page.body).toContain('Sign-in with GitHub was cancelled');
    } finally {
      fake.denyAccess = false;
    }
  });
});

describe.each(['off', 'invite'] as const)("upstream sign-in through GitHub with accounts.signUp '%s'", (signUp) => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld(signUp);
  });
  afterAll(() => world?.close());

  it('creates no account for an unknown GitHub user: the sign-in page says why, and the refusal is audited', async () => {
    const { fake, store, app } = world;
    const { page } = await continueWithGitHub(app, new UserAgent());
    expect(page.url.startsWith(APP_CALLBACK)).toBe(false);
    expect(page.body).toContain('There is no account for this GitHub sign-in, and new accounts cannot be created here. Ask your administrator for an account.');
    expect(page.body).toContain('Continue with GitHub');
    expect(await store.users.findByIdentity('github', String(fake.user.id))).toBeUndefined();
    expect(await store.users.findByLogin('octocat@github.com')).toBeUndefined();
    expect(await store.users.list()).toEqual([]);
    const refused = (await store.audit.list({ type: 'signup.refused' })).map((event) => event.details);
    expect(refused).toEqual([{ upstream: 'github', reason: 'sign_up_closed' }]);
  });

  it('still links an existing account whose verified address GitHub vouches for', async () => {
    const { fake, store, app } = world;
    const local = await createUser(
      store,
      { username: 'octo-local', email: 'octocat@github.com', emailVerified: true, password: 'a long password' },
      Date.now(),
    );
    const { page, setCookie } = await continueWithGitHub(app, new UserAgent());
    expect(page.url.startsWith(APP_CALLBACK)).toBe(true);
    const result = await app.handleCallback(new Request(page.url, { headers: { cookie: setCookie.split(';')[0]! } }));
    expect(result.profile.sub).toBe(local.id);
    expect((await store.users.findByIdentity('github', String(fake.user.id)))?.id).toBe(local.id);
    expect((await store.users.list()).map((user) => user.id)).toEqual([local.id]);
    const linked = (await store.audit.list({ type: 'upstream.linked' })).map((event) => ({ subject: event.subject, ...event.details }));
    expect(linked).toEqual([{ subject: local.id, upstream: 'github' }]);
  });
});

describe('upstream sign-in through GitHub with open sign-up limited to other domains (accounts.allowedEmailDomains)', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld('open', ['example.com']);
  });
  afterAll(() => world?.close());

  it('creates no account for a GitHub user whose verified address is elsewhere: the limit holds for upstream sign-up too', async () => {
    const { store, app } = world;
    const { page } = await continueWithGitHub(app, new UserAgent());
    expect(page.url.startsWith(APP_CALLBACK)).toBe(false);
    expect(page.body).toContain('New accounts here need a verified email address at example.com, and GitHub did not give one.');
    expect(await store.users.list()).toEqual([]);
    const refused = (await store.audit.list({ type: 'signup.refused' })).map((event) => event.details);
    expect(refused).toEqual([{ upstream: 'github', reason: 'domain_not_allowed' }]);
  });
});
