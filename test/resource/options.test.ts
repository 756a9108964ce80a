/**
 * Integrator misuse is refused at construction with a `TypeError` naming the option (STYLE.md
 * "Errors", "Config"): above all, no way to let `none` or HMAC algorithms in (RFC 8725 §3.1, §3.2).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMemoryDpopReplayCache, createMemoryIntrospectionCache, createResourceGuard, type ResourceGuardOptions } from '../../src/resource/index.js';
import { documentedOptions } from '../client/options/documented-options.js';
import { API, countingFetch } from './support.js';

const VALID: ResourceGuardOptions = { issuer: 'https://id.example', audience: API };

/** Asserts that building a guard with `options` throws a TypeError naming `option`. */
function expectRefused(options: unknown, option: string): void {
  let thrown: unknown;
  try {
    createResourceGuard(options as ResourceGuardOptions);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${option} should be refused`).toBeInstanceOf(TypeError);
  expect((thrown as Error).message).toContain(option);
  expect(thrown).toMatchObject({ code: 'ERR_INVALID_OPTION', option });
}

describe('createResourceGuard options', () => {
  it.each([
    { algorithms: ['HS256'] },
    { algorithms: ['HS384'] },
    { algorithms: ['HS512'] },
    { algorithms: ['none'] },
    { algorithms: ['None'] },
    { algorithms: ['ES256', 'HS256'] },
    { algorithms: ['RS256', 'none'] },
    { algorithms: ['dir'] },
    { algorithms: ['A256KW'] },
  ])('refuses algorithms $algorithms', ({ algorithms }) => {
    expectRefused({ ...VALID, algorithms }, 'algorithms');
  });

  it('accepts asymmetric algorithms', () => {
    expect(() => createResourceGuard({ ...VALID, algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'] })).not.toThrow();
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['an empty list', []],
    ['a list with an empty entry', [API, '']],
    ['not a string', 42],
  ])('refuses an audience that is %s', (_name, audience) => {
    expectRefused({ issuer: VALID.issuer, audience }, 'audience');
  });

  it.each([
    ['missing', undefined],
    ['not a URL', 'id.example'],
  ])('refuses an issuer that is %s', (_name, issuer) => {
    expectRefused({ issuer, audience: API }, 'issuer');
  });

  it('refuses introspection without client credentials', () => {
    expectRefused({ ...VALID, introspection: { clientId: 'api' } }, 'introspection');
    expectRefused({ ...VALID, introspection: { clientId: '', clientSecret: 'secret' } }, 'introspection');
  });

  it('refuses a negative JWKS cooldown at construction, not at the first request', () => {
    expectRefused({ ...VALID, jwksCooldown: -1 }, 'jwksCooldown');
  });

  it('makes no request at construction', () => {
    const net = countingFetch();
    createResourceGuard({ ...VALID, fetch: net.fetch });
    expect(net.urls).toEqual([]);
  });
});

describe('createResourceGuard refuses unknown option keys, naming them', () => {
  it.each([
    [{ audiance: API }, 'audiance', 'audience'],
    [{ requiredScope: ['notes:read'] }, 'requiredScope', 'requiredScopes'],
    [{ jwksCoolDown: 10 }, 'jwksCoolDown', 'jwksCooldown'],
    [{ allowInsecureRequest: true }, 'allowInsecureRequest', 'allowInsecureRequests'],
    [{ introspection: { clientId: 'api', clientSecret: 'secret', maxCacheAgee: 5 } }, 'introspection.maxCacheAgee', 'introspection.maxCacheAge'],
    [{ introspection: { clientId: 'api', clientSecret: 'secret', client_secret: 'secret' } }, 'introspection.client_secret', 'introspection.clientSecret'],
  ])('%o: %s, suggesting %s', (extra, option, suggestion) => {
    expectRefused({ ...VALID, ...extra }, option);
    let message = '';
    try {
      createResourceGuard({ ...VALID, ...extra });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`unknown option "${option}" (did you mean "${suggestion}"?)`);
  });

  it('an unknown key with nothing close is named without a suggestion', () => {
    expectRefused({ ...VALID, colour: 'blue' }, 'colour');
  });
});

describe('createResourceGuard refuses a plain-http issuer without allowInsecureRequests, at construction', () => {
  it.each(['http://id.example', 'http://127.0.0.1:3000', 'http://localhost:3000'])('%s: ConfigError naming issuer and allowInsecureRequests', (issuer) => {
    expectRefused({ issuer, audience: API }, 'issuer');
    expect(() => createResourceGuard({ issuer, audience: API })).toThrow(/allowInsecureRequests: true/);
  });

  it('accepts it with allowInsecureRequests: true, and an https issuer without', () => {
    expect(() => createResourceGuard({ issuer: 'http://id.example', audience: API, allowInsecureRequests: true })).not.toThrow();
    expect(() => createResourceGuard({ issuer: 'https://id.example', audience: API })).not.toThrow();
  });
});

describe('createResourceGuard refuses bad resourceMetadata (RFC 9728) at construction, naming the option', () => {
  const MCP = `${API}/mcp`;
  const withMetadata = (resourceMetadata: unknown, extra: Record<string, unknown> = {}) => ({
    ...VALID,
    audience: [API, MCP, 'http://api.example/mcp', 'https://api.example/mcp#tools', 'https://api.example/mcp?tenant=1'],
    resourceMetadata,
    ...extra,
  });

  it.each([
    ['not an object', 'https://api.example', 'resourceMetadata'],
    ['without resource', {}, 'resourceMetadata.resource'],
    ['with a relative resource', { resource: '/mcp' }, 'resourceMetadata.resource'],
    ['with a plain-http resource on a public host', { resource: 'http://api.example/mcp' }, 'resourceMetadata.resource'],
    ['with a resource with a fragment', { resource: 'https://api.example/mcp#tools' }, 'resourceMetadata.resource'],
    ['with a resource with a query', { resource: 'https://api.example/mcp?tenant=1' }, 'resourceMetadata.resource'],
    ['with a resource that is not an audience', { resource: 'https://other.example/mcp' }, 'resourceMetadata.resource'],
    ['with no authorization servers', { resource: MCP, authorizationServers: [] }, 'resourceMetadata.authorizationServers'],
    ['with an authorization server that is not a URL', { resource: MCP, authorizationServers: ['id.example'] }, 'resourceMetadata.authorizationServers'],
    ['with a plain-http authorization server', { resource: MCP, authorizationServers: ['http://id.example'] }, 'resourceMetadata.authorizationServers'],
    ['with a scope that is not a scope token', { resource: MCP, scopesSupported: ['notes read'] }, 'resourceMetadata.scopesSupported'],
    ['with an empty resource name', { resource: MCP, resourceName: ' ' }, 'resourceMetadata.resourceName'],
    ['with a plain-http documentation page', { resource: MCP, resourceDocumentation: 'http://docs.example' }, 'resourceMetadata.resourceDocumentation'],
    ['with a policy that is not a URL', { resource: MCP, resourcePolicyUri: 'policy' }, 'resourceMetadata.resourcePolicyUri'],
    ['with terms on another scheme', { resource: MCP, resourceTosUri: 'ftp://api.example/terms' }, 'resourceMetadata.resourceTosUri'],
  ])('%s', (_name, resourceMetadata, option) => {
    expectRefused(withMetadata(resourceMetadata), option);
  });

  it('an unknown key, with the closest name suggested', () => {
    expectRefused(withMetadata({ resource: MCP, resource_name: 'Notes' }), 'resourceMetadata.resource_name');
    expect(() => createResourceGuard(withMetadata({ resource: MCP, scopeSupported: [] }) as ResourceGuardOptions)).toThrow(
      'unknown option "resourceMetadata.scopeSupported" (did you mean "resourceMetadata.scopesSupported"?)',
    );
  });

  it('accepts plain http for a loopback resource (local development), and http authorization servers with allowInsecureRequests', () => {
    for (const resource of ['http://127.0.0.1:4000/mcp', 'http://localhost:4000', 'http://[::1]:4000/api']) {
      expect(() => createResourceGuard({ ...VALID, audience: resource, resourceMetadata: { resource } }), resource).not.toThrow();
    }
    expect(() =>
      createResourceGuard({
        issuer: 'http://127.0.0.1:3000',
        audience: MCP,
        allowInsecureRequests: true,
        resourceMetadata: { resource: MCP },
      }),
    ).not.toThrow();
  });
});

describe('every option docs/resource.md documents is accepted', () => {
  it('the "Every option" table', () => {
    const docs = readFileSync(new URL('../../docs/resource.md', import.meta.url), 'utf8');
    const samples: Record<string, unknown> = {
      issuer: 'https://id.example',
      audience: [API],
      requiredScopes: ['notes:read'],
      algorithms: ['ES256'],
      clockTolerance: 10,
      jwksCooldown: 10,
      jwksCacheMaxAge: 60,
      'introspection.clientId': 'api',
      'introspection.clientSecret': 'secret',
      'introspection.cache': createMemoryIntrospectionCache(),
      'introspection.maxCacheAge': 30,
      realm: 'notes',
      'resourceMetadata.resource': API,
      'resourceMetadata.authorizationServers': ['https://id.example'],
      'resourceMetadata.scopesSupported': ['notes:read'],
      'resourceMetadata.resourceName': 'Notes API',
      'resourceMetadata.resourceDocumentation': 'https://docs.api.example',
      'resourceMetadata.resourcePolicyUri': 'https://api.example/policy',
      'resourceMetadata.resourceTosUri': 'https://api.example/terms',
      fetch: globalThis.fetch,
      timeoutMs: 5000,
      allowInsecureRequests: false,
      now: Date.now,
      'dpop.required': true,
      'dpop.publicOrigin': 'https://api.example',
      'dpop.nonceSecret': 'a-secret-of-at-least-32-characters-long',
      'dpop.replayCache': createMemoryDpopReplayCache(),
      'dpop.maxAge': 60,
    };
    expect(documentedOptions(docs, '## Every option').sort()).toEqual(Object.keys(samples).sort());
    const options: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(samples)) {
      const [head, tail] = path.split('.') as [string, string | undefined];
      if (tail === undefined) options[head] = value;
      else options[head] = { ...(options[head] as object | undefined), [tail]: value };
    }
    expect(() => createResourceGuard(options as unknown as ResourceGuardOptions)).not.toThrow();
  });
});
