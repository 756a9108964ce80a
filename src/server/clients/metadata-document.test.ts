/**
 * Client identifier URLs (CIMD §3) and the documents they name (CIMD §4), turned into public clients.
 */
import { describe, expect, it } from 'vitest';
import { clientIdUrlProblem, isClientIdUrl } from './client-id-url.js';
import { clientFromDocument, InvalidMetadataDocument, isMetadataDocumentClient } from './metadata-document.js';

const URL_ID = 'https://client.example/oauth/client.json';
const SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'read'];

describe('client identifier URLs (CIMD §3)', () => {
  it('only https URLs are candidates (http only where allowed); generated ids never are', () => {
    expect(isClientIdUrl(URL_ID)).toBe(true);
    expect(isClientIdUrl('http://127.0.0.1:8080/c.json')).toBe(false);
    expect(isClientIdUrl('http://127.0.0.1:8080/c.json', true)).toBe(true);
    expect(isClientIdUrl('Zk3h-registered-client-id')).toBe(false);
  });

  it.each([
    [URL_ID, undefined],
    ['https://client.example:8443/c?v=1', undefined],
    ['https://client.example', 'has no path'],
    ['https://client.example?x', 'has no path'],
    ['https://client.example/', undefined],
    ['https://client.example/a/./b', 'has a dot segment'],
    ['https://client.example/a/../b', 'has a dot segment'],
    ['https://client.example/a/%2e%2E/b', 'has a dot segment'],
    ['https://client.example/a#frag', 'has a fragment'],
    ['https://client.example/a#', 'has a fragment'],
    ['https://user:pw@client.example/a', 'has a username or password'],
    ['https://user@client.example/a', 'has a username or password'],
    ['http://client.example/a', 'not https'],
    ['https://CLIENT.example/a', 'is not in canonical form'],
    ['https://client.example:443/a', 'is not in canonical form'],
    [`https://client.example/${'a'.repeat(2100)}`, 'too long'],
    ['https://', 'not a URL'],
  ])('%s → %s', (id, problem) => {
    expect(clientIdUrlProblem(id)).toBe(problem);
  });
});

function document(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { client_id: URL_ID, client_name: 'Tool', redirect_uris: ['https://client.example/callback'], ...overrides };
}

function refusal(doc: unknown): string {
  try {
    clientFromDocument(URL_ID, doc, 1000, SCOPES);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidMetadataDocument);
    return (error as Error).message;
  }
  throw new Error('the document was accepted');
}

describe('clientFromDocument (CIMD §4)', () => {
  it('makes a public client with the URL as its id, marked as coming from a document', () => {
    const client = clientFromDocument(
      URL_ID,
      document({ grant_types: ['authorization_code', 'refresh_token'], logo_uri: 'https://client.example/l.png' }),
      1000,
      SCOPES,
    );
    expect(client).toMatchObject({
      clientId: URL_ID,
      clientSecretHash: null,
      clientName: 'Tool',
      redirectUris: ['https://client.example/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'none',
      scope: 'openid profile email address phone offline_access',
      resources: [],
      isResourceServer: false,
      createdAt: 1000,
    });
    expect(isMetadataDocumentClient(client)).toBe(true);
    expect(client.extra.logo_uri).toBeUndefined();
  });

  it('names a client without client_name by its URL host', () => {
    expect(clientFromDocument(URL_ID, document({ client_name: undefined }), 0, SCOPES).clientName).toBe('client.example');
  });

  it.each([
    ['not an object', [], 'the document is not a JSON object'],
    ['another client_id', document({ client_id: 'https://client.example/other.json' }), 'client_id does not match the document URL'],
    ['a client_id differing in case', document({ client_id: URL_ID.toUpperCase() }), 'client_id does not match the document URL'],
    ['no client_id', document({ client_id: undefined }), 'client_id does not match the document URL'],
    ['a client secret', document({ client_secret: 's' }), 'a document must not hold a client secret'],
    ['client_secret_expires_at', document({ client_secret_expires_at: 0 }), 'a document must not hold a client secret'],
    ['client_secret_basic', document({ token_endpoint_auth_method: 'client_secret_basic' }), 'a document cannot use a method based on a shared secret'],
    ['client_secret_jwt', document({ token_endpoint_auth_method: 'client_secret_jwt' }), 'a document cannot use a method based on a shared secret'],
    ['private_key_jwt', document({ token_endpoint_auth_method: 'private_key_jwt' }), 'private_key_jwt is not supported yet: only public clients (none)'],
  ])('refuses %s', (_case, doc, message) => {
    expect(refusal(doc)).toBe(message);
  });

  it.each([
    ['no redirect_uris', document({ redirect_uris: undefined })],
    ['an http redirect URI off loopback', document({ redirect_uris: ['http://client.example/cb'] })],
    ['a javascript: redirect URI', document({ redirect_uris: ['javascript:alert(1)'] })],
    ['client_credentials', document({ grant_types: ['client_credentials'] })],
    ['a scope the server does not offer', document({ scope: 'openid admin' })],
    ['jwks_uri', document({ jwks_uri: 'https://client.example/jwks' })],
    ['response_types token', document({ response_types: ['token'] })],
  ])('refuses, as a registration would, %s', (_case, doc) => {
    expect(refusal(doc)).not.toBe('');
  });
});
