import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createOAuthClient, oauth2 } from '../../../src/client/index.js';
import { accessToken, gatehouseAuth, requireUser, type GatehouseEnv } from '../../../src/client/glue/hono.js';
import { appClient, describeJourney, serveLate, type Provider } from './journey.js';

/** The journey's app: the glue with its defaults and a few routes. */
async function startHonoApp(provider: Provider) {
  const listening = await serveLate();
  const client = await appClient(provider, listening.origin);
  const app = new Hono<GatehouseEnv>();
  app.use(gatehouseAuth(client, { backchannelLogoutPath: '/backchannel-logout' }));
  app.get('/', (c) => c.text(c.var.session ? 'home (signed in)' : 'home'));
  app.get('/profile', requireUser(), (c) => c.html(`<p>Signed in as ${c.var.session.profile.email}</p>`));
  app.get('/api/me', requireUser(), (c) => c.json({ email: c.var.session.profile.email }));
  app.get('/api/token', async (c) => c.json({ accessToken: await accessToken(c) }));
  app.get('/signed-out', (c) => c.text('signed out'));
  listening.handle((request) => app.fetch(request));
  return listening;
}

describeJourney('Hono', startHonoApp);

describe('Hono glue through app.request()', () => {
  const client = createOAuthClient({
    provider: oauth2({ authorizationEndpoint: 'https://as.example/authorize', tokenEndpoint: 'https://as.example/token' }),
    clientId: 'app',
    clientSecret: 'app-secret',
    redirectUri: 'https://app.example/auth/callback',
    secret: 'k'.repeat(40),
  });
  const app = new Hono<GatehouseEnv>();
  app.use(gatehouseAuth(client, { signInPath: '/auth/login', callbackPath: '/auth/callback', signOutPath: '/auth/logout' }));
  app.post('/items', requireUser(), (c) => c.text('created'));
  app.get('/items', requireUser(), (c) => c.text('items'));
  app.get('/token', async (c) => c.text(await accessToken(c)));
  const bare = new Hono();
  bare.get('/', requireUser(), (c) => c.text('unreachable'));
  bare.onError((error, c) => c.text(error.message, 500));

  it('mounts the sign-in route at the configured path', async () => {
    const response = await app.request('https://app.example/auth/login?returnTo=/items');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(/^https:\/\/as\.example\/authorize\?/);
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^gh_tx_/)]);
  });

  it('requireUser: a browser is sent to the configured sign-in path, a POST gets 401 JSON', async () => {
    const page = await app.request('https://app.example/items?page=2');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fitems%3Fpage%3D2');
    const post = await app.request('https://app.example/items', { method: 'POST' });
    expect(post.status).toBe(401);
    expect(await post.json()).toEqual({ error: 'login_required', error_description: 'sign in first' });
  });

  it('accessToken without a session: the sign-in-required response, through Hono’s error handling', async () => {
    const api = await app.request('https://app.example/token', { headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
    const page = await app.request('https://app.example/token');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Ftoken');
  });

  it('requireUser without gatehouseAuth is a programming error (500), not an endless sign-in loop', async () => {
    const response = await bare.request('https://app.example/');
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/use the gatehouseAuth\(\) middleware before requireUser\(\)/);
  });
});
