/**
 * RFC 8707 resource indicators at the unit level: what a `resource` value must be (§2: an absolute
 * URI without a fragment) and which ones a client may name. The audience each request yields is
 * tabled in test/server/token-rules.test.ts; this file tables the validation.
 */
import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../stores/contract.js';
import { makeClient } from '../stores/contract-suite/records.js';
import { createMemoryStore } from '../stores/memory/index.js';
import type { ServerContext } from './context.js';
import { audienceDefaults, checkResources, resolveAudience } from './resource-indicators.js';

const ISSUER = 'https://id.example';
const API = 'https://api.example';
const MCP = 'https://mcp.example/mcp';

const client = (resources: string[]): ClientRecord => makeClient({ resources });

const registered = client([API, 'https://api.example/v2?tenant=a', 'urn:example:inventory', 'https://files.example/']);
const NOT_ABSOLUTE = 'resource must be an absolute URI without a fragment (RFC 8707 section 2)';
const NOT_ALLOWED = 'a requested resource is not allowed for this client';

/** A server whose default audience is `defaultAudience`, with one registered resource server serving {@link MCP}. */
async function server(defaultAudience = ISSUER): Promise<Pick<ServerContext, 'config' | 'store'>> {
  const store = createMemoryStore();
  await store.clients.create(makeClient({ clientId: 'mcp-server', isResourceServer: true, servedResources: [MCP] }));
  return { config: { issuer: ISSUER, tokens: { defaultAudience } } as ServerContext['config'], store };
}

describe('checkResources: which resources a client may name', () => {
  it.each([
    { case: 'a registered https resource', resources: [API], audience: [API] },
    { case: 'a registered URN (any absolute URI)', resources: ['urn:example:inventory'], audience: ['urn:example:inventory'] },
    {
      case: 'a registered resource with a query (§2: SHOULD NOT, not MUST NOT)',
      resources: ['https://api.example/v2?tenant=a'],
      audience: ['https://api.example/v2?tenant=a'],
    },
    { case: 'the default audience, though not registered', resources: [ISSUER], audience: [ISSUER] },
    { case: 'several, in the order named', resources: ['urn:example:inventory', API], audience: ['urn:example:inventory', API] },
    { case: 'a resource repeated: once', resources: [API, API], audience: [API] },
  ])('$case', async ({ resources, audience }) => {
    expect(await checkResources(await server(), resources, registered)).toEqual(audience);
  });

  it('lets a client without registered resources name the default audience and what resource servers serve, nothing else', async () => {
    const ctx = await server();
    expect(await checkResources(ctx, [ISSUER], client([]))).toEqual([ISSUER]);
    expect(await checkResources(ctx, [MCP], client([]))).toEqual([MCP]);
    await expect(checkResources(ctx, [API], client([]))).rejects.toThrow(NOT_ALLOWED);
    await expect(checkResources(ctx, [`${MCP}/`], client([]))).rejects.toThrow(NOT_ALLOWED);
  });

  it('keeps a client registered with resources to those, even when a resource server serves another', async () => {
    await expect(checkResources(await server(), [MCP], registered)).rejects.toThrow(NOT_ALLOWED);
  });

  it.each([
    { case: 'relative', resource: '/api', description: NOT_ABSOLUTE },
    { case: 'no scheme', resource: 'api.example', description: NOT_ABSOLUTE },
    { case: 'empty', resource: '', description: NOT_ABSOLUTE },
    { case: 'a fragment', resource: `${API}#v1`, description: NOT_ABSOLUTE },
    { case: 'an empty fragment', resource: `${API}#`, description: NOT_ABSOLUTE },
    { case: 'a fragment on a registered URN', resource: 'urn:example:inventory#x', description: NOT_ABSOLUTE },
    { case: 'unregistered', resource: 'https://other.example', description: NOT_ALLOWED },
    { case: 'a registered one with a trailing slash added', resource: `${API}/`, description: NOT_ALLOWED },
    { case: 'a registered one with its trailing slash dropped', resource: 'https://files.example', description: NOT_ALLOWED },
    { case: 'a registered one in another case', resource: 'https://API.example', description: NOT_ALLOWED },
    { case: 'a registered one with another query', resource: 'https://api.example/v2?tenant=b', description: NOT_ALLOWED },
    { case: 'a registered one with a path added', resource: `${API}/admin`, description: NOT_ALLOWED },
    { case: 'a registered one over http', resource: 'http://api.example', description: NOT_ALLOWED },
    { case: 'a registered one with surrounding space', resource: ` ${API}`, description: NOT_ALLOWED },
  ])('refuses $case with invalid_target', async ({ resource, description }) => {
    await expect(checkResources(await server(), [resource], registered)).rejects.toThrow(
      expect.objectContaining({ error: 'invalid_target', message: description, status: 400 }),
    );
  });

  it('refuses more than 10 resources, or one longer than 2048 characters', async () => {
    const ctx = await server();
    await expect(
      checkResources(
        ctx,
        Array.from({ length: 11 }, () => ISSUER),
        registered,
      ),
    ).rejects.toThrow('at most 10 resource values are accepted');
    await expect(checkResources(ctx, [`${API}/${'a'.repeat(2048)}`], registered)).rejects.toThrow('a resource value is longer than 2048 characters');
  });

  it('refuses the whole request when one of several resources is not allowed', async () => {
    const ctx = await server();
    await expect(checkResources(ctx, [API, 'https://other.example'], registered)).rejects.toThrow(NOT_ALLOWED);
    await expect(checkResources(ctx, ['https://other.example#x', API], registered)).rejects.toThrow(NOT_ABSOLUTE);
  });

  it('refuses the issuer when the default audience is an API and the issuer is not registered', async () => {
    await expect(checkResources(await server(API), [ISSUER], registered)).rejects.toThrow(NOT_ALLOWED);
  });
});

describe('resolveAudience: within what the grant was authorized for (RFC 8707 §2.2)', () => {
  const app = client([]);

  it('gives every granted resource when the token request names none, and only a granted one when it names it', async () => {
    const ctx = await server();
    expect(await resolveAudience(ctx, app, { requested: [], granted: [MCP, ISSUER], scope: ['openid'] })).toEqual([MCP, ISSUER]);
    expect(await resolveAudience(ctx, app, { requested: [MCP], granted: [MCP, ISSUER], scope: ['openid'] })).toEqual([MCP]);
  });

  it('refuses a resource the authorization did not name, though the client could have asked for it', async () => {
    await expect(resolveAudience(await server(), app, { requested: [ISSUER], granted: [MCP], scope: [] })).rejects.toThrow(
      expect.objectContaining({ error: 'invalid_target', message: 'a requested resource was not part of the authorization' }),
    );
  });

  it('refuses a granted resource once no resource server serves it any more', async () => {
    const ctx = await server();
    await ctx.store.clients.delete('mcp-server');
    await expect(resolveAudience(ctx, app, { requested: [], granted: [MCP], scope: [] })).rejects.toThrow(NOT_ALLOWED);
  });
});

describe('audienceDefaults', () => {
  it('takes the default audience and the issuer from the configuration', () => {
    const ctx = { config: { issuer: ISSUER, tokens: { defaultAudience: API } } } as unknown as ServerContext;
    expect(audienceDefaults(ctx)).toEqual({ defaultAudience: API, issuer: ISSUER });
  });
});
