/**
 * Protected-resource metadata (RFC 9728) through each glue on a real listening server, and read by
 * an independent client, oauth4webapi: it follows the `resource_metadata` of a 401, discovers the
 * document at the §3.1 URL, checks `resource` (§3.3), then gets a token for that resource from
 * Gatehouse (RFC 8707) and calls the API with it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Hono } from 'hono';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createResourceGuard,
  expressRequireToken,
  expressResourceMetadata,
  requireToken,
  resourceMetadata,
  type ResourceGuard,
  type VerifiedAccessToken,
} from '../../src/resource/index.js';
import type { TestClient } from '../helpers/server.js';
import { closeServer, listen, startIssuer, type RunningIssuer } from './support.js';

let as: RunningIssuer;

beforeAll(async () => {
  as = await startIssuer();
});

afterAll(async () => {
  await as?.close();
});

/** An API serving `GET /mcp` (needs `notes:read`) with its identifier `<origin>/mcp`. */
interface App {
  origin: string;
  /** The resource identifier: `<origin>/mcp`. */
  resource: string;
  close(): Promise<void>;
}

/** The guard of an app listening at `origin`: its resource is `<origin>/mcp`. */
function guardAt(origin: string): ResourceGuard {
  const resource = `${origin}/mcp`;
  return createResourceGuard({
    issuer: as.issuer,
    audience: resource,
    allowInsecureRequests: true,
    resourceMetadata: { resource, scopesSupported: ['notes:read'], resourceName: 'Notes MCP server' },
  });
}

/**
 * Listens first (the resource identifier needs the port), then builds the app for that origin.
 */
async function webApp(build: (guard: ResourceGuard) => (request: Request) => Response | Promise<Response>): Promise<App> {
  let handler: (request: Request) => Response | Promise<Response> = () => new Response('starting', { status: 503 });
  const server = await listen((request) => handler(request));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  handler = build(guardAt(origin));
  return { origin, resource: `${origin}/mcp`, close: () => closeServer(server) };
}

async function expressApp(build: (guard: ResourceGuard, app: express.Express) => void): Promise<App> {
  const app = express();
  const server = await new Promise<Server>((resolve) => {
    const listening = createServer(app).listen(0, '127.0.0.1', () => resolve(listening));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  build(guardAt(origin), app);
  return { origin, resource: `${origin}/mcp`, close: () => closeServer(server) };
}

type WithToken = express.Request & { accessToken?: VerifiedAccessToken };
const notes = (sub: string | undefined) => ({ sub, notes: ['hello'] });

const APPS: [string, () => Promise<App>][] = [
  [
    'Hono: app.use(resourceMetadata(guard)), requireToken on the route',
    () =>
      webApp((guard) => {
        const app = new Hono<{ Variables: { accessToken: VerifiedAccessToken } }>();
        app.use(resourceMetadata(guard));
        app.get('/mcp', requireToken(guard, { scopes: ['notes:read'] }), (c) => c.json(notes(c.var.accessToken.sub)));
        return app.fetch;
      }),
  ],
  [
    'Hono: requireToken on every path',
    () =>
      webApp((guard) => {
        const app = new Hono<{ Variables: { accessToken: VerifiedAccessToken } }>();
        app.use(requireToken(guard, { scopes: ['notes:read'] }));
        app.get('/mcp', (c) => c.json(notes(c.var.accessToken.sub)));
        return app.fetch;
      }),
  ],
  [
    'Express: app.use(expressResourceMetadata(guard)), expressRequireToken on the route',
    () =>
      expressApp((guard, app) => {
        app.use(expressResourceMetadata(guard));
        app.get('/mcp', expressRequireToken(guard, { scopes: ['notes:read'] }), (req: express.Request, res: express.Response) => {
          res.json(notes((req as WithToken).accessToken!.sub));
        });
      }),
  ],
  [
    'Express: expressRequireToken on every path',
    () =>
      expressApp((guard, app) => {
        app.use(expressRequireToken(guard, { scopes: ['notes:read'] }));
        app.get('/mcp', (req: express.Request, res: express.Response) => {
          res.json(notes((req as WithToken).accessToken!.sub));
        });
      }),
  ],
  ['fetch: guard.protect(handler)', () => webApp((guard) => guard.protect((_request, token) => Response.json(notes(token.sub)), { scopes: ['notes:read'] }))],
];

describe.each(APPS)('%s', (_name, start) => {
  let app: App;
  let client: TestClient;
  const insecure = { [oauth.allowInsecureRequests]: true };

  beforeAll(async () => {
    app = await start();
    client = await as.test.register({ name: 'Notes agent', grantTypes: ['client_credentials'], scope: 'notes:read', resources: [app.resource] });
  });

  afterAll(async () => {
    await app?.close();
  });

  const expectDocument = async (response: Response) => {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await response.json()).toEqual({
      resource: app.resource,
      authorization_servers: [as.issuer],
      bearer_methods_supported: ['header'],
      scopes_supported: ['notes:read'],
      resource_name: 'Notes MCP server',
    });
  };

  it('serves the document at the path-suffixed well-known URL (§3.1), without a token', async () => {
    await expectDocument(await fetch(`${app.origin}/.well-known/oauth-protected-resource/mcp`));
  });

  it('serves it at the host-level well-known URL too', async () => {
    await expectDocument(await fetch(`${app.origin}/.well-known/oauth-protected-resource`));
  });

  it('points to it from the 401 challenge of the API', async () => {
    const response = await fetch(`${app.origin}/mcp`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="api", resource_metadata="${app.origin}/.well-known/oauth-protected-resource/mcp"`);
  });

  it('oauth4webapi: resourceDiscoveryRequest finds the document and processResourceDiscoveryResponse accepts it', async () => {
    const response = await oauth.resourceDiscoveryRequest(new URL(app.resource), insecure);
    const metadata = await oauth.processResourceDiscoveryResponse(new URL(app.resource), response);
    expect(metadata.resource).toBe(app.resource);
    expect(metadata.authorization_servers).toEqual([as.issuer]);
  });

  it('oauth4webapi: a 401 → resource_metadata → authorization server → token for the resource → 200', async () => {
    // The challenge, parsed by oauth4webapi.
    let challenge: oauth.WWWAuthenticateChallenge | undefined;
    try {
      await oauth.protectedResourceRequest('not-a-token', 'GET', new URL(app.resource), new Headers(), null, insecure);
    } catch (error) {
      expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
      challenge = (error as oauth.WWWAuthenticateChallengeError).cause[0];
    }
    expect(challenge?.scheme).toBe('bearer');
    const documentUrl = challenge!.parameters.resource_metadata!;
    const resource = await oauth.processResourceDiscoveryResponse(new URL(app.resource), await fetch(documentUrl));

    // The authorization server it names, and a token for this resource (RFC 8707).
    const issuer = new URL(resource.authorization_servers![0]!);
    const server = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    const tokenResponse = await oauth.clientCredentialsGrantRequest(
      server,
      { client_id: client.clientId },
      oauth.ClientSecretBasic(client.clientSecret),
      { scope: resource.scopes_supported!.join(' '), resource: resource.resource },
      insecure,
    );
    const { access_token } = await oauth.processClientCredentialsResponse(server, { client_id: client.clientId }, tokenResponse);

    const answer = await oauth.protectedResourceRequest(access_token, 'GET', new URL(app.resource), new Headers(), null, insecure);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual(notes(client.clientId));
  });

  it('oauth4webapi refuses the document for another resource on the same origin (§3.3)', async () => {
    const other = new URL(`${app.origin}/other`);
    // The §3.1 URL of the other resource is not ours: nothing is there.
    const suffixed = await oauth.resourceDiscoveryRequest(other, insecure);
    await expect(oauth.processResourceDiscoveryResponse(other, suffixed)).rejects.toThrow();
    // The host-level document names /mcp, not /other: refused.
    const hostLevel = await fetch(`${app.origin}/.well-known/oauth-protected-resource`);
    await expect(oauth.processResourceDiscoveryResponse(other, hostLevel)).rejects.toMatchObject({ code: oauth.JSON_ATTRIBUTE_COMPARISON });
  });
});
