/**
 * The framework glue on real listening servers: a Hono app with `requireToken` and an Express 5
 * app with `expressRequireToken`, each answering 200 with the token's sub, or the guard's RFC 6750
 * error (401/403/400) or 503 with the right headers.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResourceGuard, expressRequireToken, requireToken, type ResourceGuard, type VerifiedAccessToken } from '../../src/resource/index.js';
import { basic } from '../helpers/server.js';
import { API, closeServer, freePort, listen, startIssuer, type RunningIssuer } from './support.js';

let as: RunningIssuer;
let guard: ResourceGuard;
let unavailable: ResourceGuard;
let readToken: string;
let readWriteToken: string;
/** Requests that reached a route handler, as `METHOD path sub`. */
const handled: string[] = [];

beforeAll(async () => {
  as = await startIssuer();
  guard = createResourceGuard({ issuer: as.issuer, audience: API, allowInsecureRequests: true });
  unavailable = createResourceGuard({ issuer: `http://127.0.0.1:${await freePort()}`, audience: API, allowInsecureRequests: true });
  readToken = await as.token('notes:read');
  readWriteToken = await as.token('notes:read notes:write');
});

afterAll(async () => {
  await as?.close();
});

/** The same API in both frameworks: GET /notes needs notes:read, POST /notes notes:write, GET /down uses a guard whose issuer is down. */
interface App {
  origin: string;
  close(): Promise<void>;
}

async function honoApp(): Promise<App> {
  const app = new Hono<{ Variables: { accessToken: VerifiedAccessToken } }>();
  app.get('/notes', requireToken(guard, { scopes: ['notes:read'] }), (c) => {
    handled.push(`GET /notes ${c.var.accessToken.sub}`);
    return c.json({ sub: c.var.accessToken.sub });
  });
  app.post('/notes', requireToken(guard, { scopes: ['notes:write'] }), async (c) => {
    handled.push(`POST /notes ${c.var.accessToken.sub}`);
    return c.json({ sub: c.var.accessToken.sub, note: await c.req.json() }, 201);
  });
  app.get('/down', requireToken(unavailable), (c) => c.json({ sub: c.var.accessToken.sub }));
  const server = await listen(app.fetch);
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

async function expressApp(): Promise<App> {
  type WithToken = express.Request & { accessToken?: VerifiedAccessToken };
  const app = express();
  app.use(express.json());
  app.get('/notes', expressRequireToken(guard, { scopes: ['notes:read'] }), (req: express.Request, res: express.Response) => {
    const { sub } = (req as WithToken).accessToken!;
    handled.push(`GET /notes ${sub}`);
    res.json({ sub });
  });
  app.post('/notes', expressRequireToken(guard, { scopes: ['notes:write'] }), (req: express.Request, res: express.Response) => {
    const { sub } = (req as WithToken).accessToken!;
    handled.push(`POST /notes ${sub}`);
    res.status(201).json({ sub, note: req.body as unknown });
  });
  app.get('/down', expressRequireToken(unavailable), (req: express.Request, res: express.Response) => {
    res.json({ sub: (req as WithToken).accessToken!.sub });
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

describe.each([
  ['Hono requireToken', honoApp],
  ['Express expressRequireToken', expressApp],
])('%s', (_name, start) => {
  let app: App;

  beforeAll(async () => {
    app = await start();
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.origin}${path}`, { headers });
  const postNote = (headers: Record<string, string>) =>
    fetch(`${app.origin}/notes`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ text: 'hello' }) });

  it('answers 200 with the sub of a valid token', async () => {
    handled.length = 0;
    const response = await get('/notes', { Authorization: `Bearer ${readToken}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: as.machine.clientId });
    expect(handled).toEqual([`GET /notes ${as.machine.clientId}`]);
  });

  it('passes a POST with its body through to the route', async () => {
    const response = await postNote({ Authorization: `Bearer ${readWriteToken}` });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ sub: as.machine.clientId, note: { text: 'hello' } });
  });

  it('answers 401 with a bare challenge and no body without a token, and never runs the route', async () => {
    handled.length = 0;
    const response = await get('/notes');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(await response.text()).toBe('');
    expect(handled).toEqual([]);
  });

  it('answers 401 invalid_token for a token the guard refuses', async () => {
    const response = await get('/notes', { Authorization: `Bearer ${await as.token('notes:read', { resource: null })}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('answers 403 insufficient_scope with the scope the route needs', async () => {
    handled.length = 0;
    const response = await postNote({ Authorization: `Bearer ${readToken}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="api", error="insufficient_scope", error_description="[^"]+", scope="notes:write"$/,
    );
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(handled).toEqual([]);
  });

  it('answers 400 invalid_request for Basic credentials', async () => {
    const response = await get('/notes', { Authorization: basic(as.machine.clientId, as.machine.clientSecret) });
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_request"/);
  });

  it('ignores a token in the query string', async () => {
    const response = await get(`/notes?access_token=${encodeURIComponent(readToken)}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('answers 503 temporarily_unavailable when the issuer cannot be reached', async () => {
    const response = await get('/down', { Authorization: `Bearer ${readToken}` });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });
});
