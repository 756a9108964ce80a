/**
 * Protected-resource metadata (RFC 9728): the document the guard publishes, where it publishes it
 * (§3.1), how it answers (§3.2), and the `resource_metadata` parameter of every challenge (§5.1)
 * that sends a client without the right token to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerChallenge } from '../../src/core/bearer-challenge.js';
import { createResourceGuard, resourceMetadataUrl, type ResourceGuard } from '../../src/resource/index.js';
import { basic } from '../helpers/server.js';
import { answer, API, startIssuer, type RunningIssuer } from './support.js';

const MCP = `${API}/mcp`;
const ROOT_DOCUMENT = `${API}/.well-known/oauth-protected-resource`;
/** {@link ROOT_DOCUMENT} as a regular expression fragment. */
const ROOT_PATTERN = ROOT_DOCUMENT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let as: RunningIssuer;
let guard: ResourceGuard;

beforeAll(async () => {
  as = await startIssuer();
  guard = createResourceGuard({ issuer: as.issuer, audience: API, allowInsecureRequests: true, resourceMetadata: { resource: API } });
});

afterAll(async () => {
  await as?.close();
});

/** A guard for `resource`, with everything else as given. */
function guardFor(resource: string, extra: Partial<Parameters<typeof createResourceGuard>[0]['resourceMetadata']> = {}): ResourceGuard {
  return createResourceGuard({
    issuer: 'https://id.example',
    audience: [API, resource],
    resourceMetadata: { resource, ...extra },
  });
}

describe('the metadata URL of a resource identifier (§3.1: the well-known segment between host and path)', () => {
  it.each([
    ['https://api.example', 'https://api.example/.well-known/oauth-protected-resource'],
    ['https://api.example/', 'https://api.example/.well-known/oauth-protected-resource'],
    ['https://api.example/mcp', 'https://api.example/.well-known/oauth-protected-resource/mcp'],
    ['https://api.example/v1/notes/', 'https://api.example/.well-known/oauth-protected-resource/v1/notes/'],
    ['https://api.example:8443/mcp', 'https://api.example:8443/.well-known/oauth-protected-resource/mcp'],
    ['http://127.0.0.1:4000/mcp', 'http://127.0.0.1:4000/.well-known/oauth-protected-resource/mcp'],
  ])('%s → %s', (resource, url) => {
    expect(resourceMetadataUrl(resource)).toBe(url);
    expect(guardFor(resource).resourceMetadataUrl).toBe(url);
  });
});

describe('the document (§2, §3.2)', () => {
  it('defaults: the guard issuer as authorization server, the header as the one bearer method, resource as configured', async () => {
    const response = guard.serveMetadata(new Request(ROOT_DOCUMENT))!;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ resource: API, authorization_servers: [as.issuer], bearer_methods_supported: ['header'] });
  });

  it('publishes every configured field under its RFC 9728 name, and the identifier character for character (§3.3)', async () => {
    const notes = guardFor(MCP, {
      authorizationServers: ['https://id.example', 'https://login.partner.example'],
      scopesSupported: ['notes:read', 'notes:write'],
      resourceName: 'Notes MCP server',
      resourceDocumentation: 'https://docs.api.example/mcp',
      resourcePolicyUri: 'https://api.example/policy',
      resourceTosUri: 'https://api.example/terms',
    });
    const response = notes.serveMetadata(new Request(`${API}/.well-known/oauth-protected-resource/mcp`))!;
    expect(await response.json()).toEqual({
      resource: MCP,
      authorization_servers: ['https://id.example', 'https://login.partner.example'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['notes:read', 'notes:write'],
      resource_name: 'Notes MCP server',
      resource_documentation: 'https://docs.api.example/mcp',
      resource_policy_uri: 'https://api.example/policy',
      resource_tos_uri: 'https://api.example/terms',
    });
  });

  it('is public and cacheable: Cache-Control with a max-age, readable from any origin', () => {
    const response = guard.serveMetadata(new Request(ROOT_DOCUMENT))!;
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers HEAD without a body and other methods with 405', async () => {
    const head = guard.serveMetadata(new Request(ROOT_DOCUMENT, { method: 'HEAD' }))!;
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = guard.serveMetadata(new Request(ROOT_DOCUMENT, { method: 'POST' }))!;
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('where the document is served', () => {
  const mcp = () => guardFor(MCP);

  it('for a resource with a path: at the path-suffixed well-known URL and at the host-level one', async () => {
    for (const url of [`${API}/.well-known/oauth-protected-resource/mcp`, ROOT_DOCUMENT]) {
      const response = mcp().serveMetadata(new Request(url));
      expect(response?.status, url).toBe(200);
      expect(await response!.json()).toMatchObject({ resource: MCP });
    }
  });

  it.each([
    `${API}/mcp/.well-known/oauth-protected-resource`,
    `${API}/.well-known/oauth-protected-resource/other`,
    `${API}/.well-known/oauth-authorization-server`,
    `${API}/mcp`,
  ])('not at %s (the request goes on)', (url) => {
    expect(mcp().serveMetadata(new Request(url))).toBeUndefined();
  });

  it('nowhere without resourceMetadata: serveMetadata answers undefined', () => {
    const plain = createResourceGuard({ issuer: as.issuer, audience: API, allowInsecureRequests: true });
    expect(plain.serveMetadata(new Request(ROOT_DOCUMENT))).toBeUndefined();
    expect(plain.resourceMetadataUrl).toBeUndefined();
  });

  it('guard.protect answers the document without a token, and protects everything else', async () => {
    const handler = guard.protect((_request, token) => Response.json({ sub: token.sub }));
    const document = await handler(new Request(ROOT_DOCUMENT));
    expect(document.status).toBe(200);
    expect(await document.json()).toMatchObject({ resource: API });
    expect((await handler(new Request(`${API}/notes`))).status).toBe(401);
  });
});

describe('resource_metadata in every challenge (RFC 9728 §5.1, RFC 6750 §3)', () => {
  const challenge = (response: Response) => response.headers.get('www-authenticate');

  it('401 without credentials: a bare challenge with the metadata URL', async () => {
    const response = await answer(guard, undefined);
    expect(response.status).toBe(401);
    expect(challenge(response)).toBe(`Bearer realm="api", resource_metadata="${ROOT_DOCUMENT}"`);
  });

  it('401 invalid_token: a token for another audience', async () => {
    const response = await answer(guard, await as.token('notes:read', { resource: null }));
    expect(response.status).toBe(401);
    expect(challenge(response)).toMatch(
      new RegExp(`^Bearer realm="api", error="invalid_token", error_description="[^"]+", resource_metadata="${ROOT_PATTERN}"$`),
    );
  });

  it('403 insufficient_scope: with the scope and the metadata URL', async () => {
    const response = await answer(guard, await as.token('notes:read'), { scopes: ['notes:write'] });
    expect(response.status).toBe(403);
    expect(challenge(response)).toMatch(
      new RegExp(`^Bearer realm="api", error="insufficient_scope", error_description="[^"]+", scope="notes:write", resource_metadata="${ROOT_PATTERN}"$`),
    );
  });

  it('400 invalid_request: a malformed Authorization header', async () => {
    const result = await guard.check(new Request(`${API}/notes`, { headers: { Authorization: basic('a', 'b') } }));
    expect(result.response?.status).toBe(400);
    expect(challenge(result.response!)).toContain(`, resource_metadata="${ROOT_DOCUMENT}"`);
  });

  it('the path-suffixed URL for a resource with a path', async () => {
    const result = await guardFor(MCP).check(new Request(MCP));
    expect(challenge(result.response!)).toBe(`Bearer realm="api", resource_metadata="${API}/.well-known/oauth-protected-resource/mcp"`);
  });

  it('the 200 answer is unchanged: a valid token passes', async () => {
    const response = await answer(guard, await as.token('notes:read'));
    expect(response.status).toBe(200);
  });
});

describe('bearerChallenge with resourceMetadata', () => {
  it('adds the quoted parameter after the others', () => {
    expect(bearerChallenge({ realm: 'api', error: 'invalid_token', description: 'expired', resourceMetadata: ROOT_DOCUMENT })).toBe(
      `Bearer realm="api", error="invalid_token", error_description="expired", resource_metadata="${ROOT_DOCUMENT}"`,
    );
  });

  it('leaves it out when not given', () => {
    expect(bearerChallenge({ realm: 'api' })).toBe('Bearer realm="api"');
  });
});
