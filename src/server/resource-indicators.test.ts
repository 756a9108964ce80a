/**
 * RFC 8707 resource indicators at the unit level: what a `resource` value must be (§2: an absolute
 * URI without a fragment) and which ones a client may name. The audience each request yields is
 * tabled in test/server/token-rules.test.ts; this file tables the validation.
 */
import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../stores/contract.js';
import type { ServerContext } from './context.js';
import { audienceDefaults, resolveAudience } from './resource-indicators.js';

const ISSUER = 'https://id.example';
const API = 'https://api.example';

function client(resources: string[]): ClientRecord {
  return {
    clientId: 'client-1',
    clientSecretHash: 'hash',
    clientName: 'Example App',
    redirectUris: ['https://app.example/callback'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code'],
    scope: 'openid',
    tokenEndpointAuthMethod: 'client_secret_basic',
    idTokenSignedResponseAlg: 'ES256',
    resources,
    isResourceServer: false,
    extra: {},
    createdAt: 0,
    updatedAt: 0,
  };
}

const registered = client([API, 'https://api.example/v2?tenant=a', 'urn:example:inventory', 'https://files.example/']);
const defaults = { defaultAudience: ISSUER, issuer: ISSUER, scope: ['openid'] };
const NOT_ABSOLUTE = 'resource must be an absolute URI without a fragment (RFC 8707 section 2)';
const NOT_ALLOWED = 'a requested resource is not allowed for this client';

describe('resolveAudience: which resources a client may name', () => {
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
  ])('$case', ({ resources, audience }) => {
    expect(resolveAudience(resources, registered, defaults)).toEqual(audience);
  });

  it('lets a client without registered resources name the default audience only', () => {
    expect(resolveAudience([ISSUER], client([]), defaults)).toEqual([ISSUER]);
    expect(() => resolveAudience([API], client([]), defaults)).toThrow(NOT_ALLOWED);
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
  ])('refuses $case with invalid_target', ({ resource, description }) => {
    expect(() => resolveAudience([resource], registered, defaults)).toThrow(
      expect.objectContaining({ error: 'invalid_target', message: description, status: 400 }),
    );
  });

  it('refuses the whole request when one of several resources is not allowed', () => {
    expect(() => resolveAudience([API, 'https://other.example'], registered, defaults)).toThrow(NOT_ALLOWED);
    expect(() => resolveAudience(['https://other.example#x', API], registered, defaults)).toThrow(NOT_ABSOLUTE);
  });

  it('refuses the issuer when the default audience is an API and the issuer is not registered', () => {
    expect(() => resolveAudience([ISSUER], registered, { ...defaults, defaultAudience: API })).toThrow(NOT_ALLOWED);
  });
});

describe('audienceDefaults', () => {
  it('takes the default audience and the issuer from the configuration', () => {
    const ctx = { config: { issuer: ISSUER, tokens: { defaultAudience: API } } } as unknown as ServerContext;
    expect(audienceDefaults(ctx)).toEqual({ defaultAudience: API, issuer: ISSUER });
  });
});
