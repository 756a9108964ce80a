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

describe('upstream sign-in through GitHub', () => {
  let fake: FakeGitHub;
  let store: Store;
  let server: AuthorizationServer;
  let http: ServerType;
  let issuer: string;
  let app: OAuthClient;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    fake = await startFakeGitHub({ callbackUrl: `${issuer}/upstream/github/callback` });
    store = createMemoryStore();
    server = createAuthorizationServer({
      issuer,
      store,
      secret: SECRET,
      logger: false,
      // The first GitHub sign-in creates the account: only while sign-up is open.
      accounts: { signUp: 'open' },
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
    http = serve({ fetch: (request, env) => server.fetch(request, env), port, hostname: '127.0.0.1' });
    const registered = await registerClient(store, new SecretKeys(SECRET), { name: 'Notes', redirectUris: [APP_CALLBACK] }, Date.now());
    app = createOAuthClient({
      provider: gatehouse(issuer),
      clientId: registered.client.clientId,
      clientSecret: registered.clientSecret!,
      redirectUri: APP_CALLBACK,
      secret: 'app-session-secret-0123456789-abcdefghij',
      allowInsecureRequests: true,
    });
  });

  afterAll(async () => {
    http?.close();
    await server?.close();
    await fake?.close();
  });

  /** The app sends the browser to Gatehouse; the user picks "Continue with GitHub" and consents. */
  async function signInThroughGitHub(browser: UserAgent): Promise<{ page: Page; result: Awaited<ReturnType<OAuthClient['handleCallback']>> }> {
    const { url, setCookie } = await app.authorizationUrl();
    const stop = (location: string) => location.startsWith(APP_CALLBACK);
    let page = await browser.open(url.href, {}, stop);
    expect(page.body).toContain('Continue with GitHub');
    page = await browser.submit(page, {}, { actionPart: '/upstream/github', stopAt: stop });
    if (page.body.includes('name="decision"')) page = await browser.submit(page, {}, { button: { name: 'decision', value: 'approve' }, stopAt: stop });
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
