import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, gatehouseExpress, requireUser } from '../../../src/client/glue/express.js';
import { appClient, closeServer, describeJourney, startProvider, type Provider } from './journey.js';

/** An Express app listening on a free loopback port; routes are added once its URL is known. */
async function listen(configure: (app: express.Express, origin: string) => Promise<void>) {
  const app = express();
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await configure(app, origin);
  return { origin, close: () => closeServer(server) };
}

/** The journey's app: the glue with its defaults and a few routes. */
function startExpressApp(provider: Provider) {
  return listen(async (app, origin) => {
    const client = await appClient(provider, origin);
    app.use(gatehouseExpress(client, { backchannelLogoutPath: '/backchannel-logout' }));
    app.get('/', (req, res) => {
      res.send(req.gatehouseSession ? 'home (signed in)' : 'home');
    });
    app.get('/profile', requireUser(), (req, res) => {
      res.send(`<p>Signed in as ${req.gatehouseSession!.profile.email}</p>`);
    });
    app.get('/api/me', requireUser(), (req, res) => {
      res.json({ email: req.gatehouseSession!.profile.email });
    });
    app.get('/api/token', async (req, res) => {
      const token = await accessToken(req, res);
      if (token !== undefined) res.json({ accessToken: token });
    });
    app.get('/signed-out', (_req, res) => {
      res.send('signed out');
    });
  });
}

describeJourney('Express', startExpressApp);

describe('Express glue behind a body parser', () => {
  let provider: Provider;
  let app: { origin: string; close(): Promise<void> };

  beforeAll(async () => {
    provider = await startProvider();
    app = await listen(async (server, origin) => {
      // The stream is consumed before the router sees the request: the parsed body is used instead.
      server.use(express.urlencoded());
      server.use(gatehouseExpress(await appClient(provider, origin), { backchannelLogoutPath: '/bcl', signInPath: '/auth/login' }));
      server.post('/things', requireUser(), (_req, res) => {
        res.send('created');
      });
      server.get('/things', requireUser(), (_req, res) => {
        res.send('things');
      });
    });
  });

  afterAll(async () => {
    await app?.close();
    await provider?.close();
  });

  it('still passes the back-channel logout form to the client', async () => {
    const response = await fetch(`${app.origin}/bcl`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=not-a-jwt',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error_description?: string }).error_description).toMatch(/logout_token is not valid/);
  });

  it('requireUser uses the router’s sign-in path, and answers 401 JSON to a POST', async () => {
    const page = await fetch(`${app.origin}/things?x=1`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fthings%3Fx%3D1');
    const post = await fetch(`${app.origin}/things`, { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    expect(post.status).toBe(401);
    expect(await post.json()).toMatchObject({ error: 'login_required' });
  });

  it('sends every Set-Cookie header separately', async () => {
    const response = await fetch(`${app.origin}/auth/login`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(new RegExp(`^${provider.issuer}/authorize\\?`));
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^gh_tx_[\w-]+=[^,]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/)]);
  });
});
