import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../core/errors.js';
import { clientMetadataOf, clientRecordFields, validateClientMetadata, withClientMetadata, type ClientMetadataOptions } from './metadata.js';

const ANY: ClientMetadataOptions = {
  authMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  scopes: ['openid', 'profile', 'email', 'offline_access', 'api:read'],
  redirectUris: 'any',
  defaultScope: (grants) => (grants.includes('authorization_code') ? 'openid profile' : ''),
};
const NATIVE: ClientMetadataOptions = { ...ANY, authMethods: ['none'], redirectUris: 'native' };
const KEYED: ClientMetadataOptions = { ...ANY, authMethods: ['client_secret_basic', 'private_key_jwt'] };
/** A P-256 public key (RFC 7517 Appendix A.1). */
const EC_KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4',
  y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM',
  kid: '1',
};

function refusal(input: unknown, options = ANY): { error: string; description: string } | undefined {
  try {
    validateClientMetadata(input, options);
    return undefined;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { error: error.error, description: error.message };
  }
}

describe('validateClientMetadata (RFC 7591 §2)', () => {
  it('applies the defaults of RFC 7591 §2: authorization_code, code, client_secret_basic', () => {
    expect(validateClientMetadata({ redirect_uris: ['https://app.example/cb'] }, ANY)).toEqual({
      redirect_uris: ['https://app.example/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      client_name: 'app.example',
      scope: 'openid profile',
      application_type: 'web',
      id_token_signed_response_alg: 'ES256',
      post_logout_redirect_uris: [],
    });
  });

  it('keeps the fields it understands and drops unknown ones (RFC 7591 §2: MUST ignore)', () => {
    const metadata = validateClientMetadata(
      {
        redirect_uris: ['com.example.app:/cb', 'http://127.0.0.1/cb'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        client_name: ' My App ',
        'client_name#fr': 'Mon app',
        client_uri: 'https://app.example',
        logo_uri: 'https://app.example/logo.png',
        tos_uri: 'https://app.example/tos',
        policy_uri: 'https://app.example/privacy',
        contacts: ['ops@app.example', 'ops@app.example'],
        software_id: '4NRB1-0XZABZI9E6-5SM3R',
        software_version: '2.1',
        scope: 'openid offline_access',
        application_type: 'native',
        favourite_colour: 'green',
        require_mfa: true,
        is_resource_server: true,
      },
      NATIVE,
    );
    expect(metadata).toMatchObject({ client_name: 'My App', contacts: ['ops@app.example'], application_type: 'native', scope: 'openid offline_access' });
    expect(Object.keys(metadata)).not.toContain('client_name#fr');
    expect(Object.keys(metadata)).not.toContain('favourite_colour');
    expect(Object.keys(metadata)).not.toContain('is_resource_server');
    // What is stored answers the same metadata back (RFC 7592 §3 read).
    const record = { clientId: 'c', clientSecretHash: null, createdAt: 0, updatedAt: 0, ...clientRecordFields(metadata) };
    expect(clientMetadataOf(record)).toEqual(metadata);
    expect(record.isResourceServer).toBe(false);
  });

  it.each([
    ['not an object', [], 'invalid_client_metadata'],
    ['a string', 'x', 'invalid_client_metadata'],
    ['a software statement', { software_statement: 'eyJ.x.y' }, 'unapproved_software_statement'],
    [
      'jwks with jwks_uri (RFC 7591 §2)',
      { jwks: { keys: [EC_KEY] }, jwks_uri: 'https://app.example/jwks', redirect_uris: ['https://a.example/cb'] },
      'invalid_client_metadata',
    ],
    ['a private key in jwks', { jwks: { keys: [{ ...EC_KEY, d: 'x' }] }, redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    ['a symmetric key in jwks', { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    ['an empty jwks', { jwks: { keys: [] }, redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    ['an http jwks_uri', { jwks_uri: 'http://app.example/jwks', redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    [
      'an HMAC token_endpoint_auth_signing_alg',
      { token_endpoint_auth_signing_alg: 'HS256', redirect_uris: ['https://a.example/cb'] },
      'invalid_client_metadata',
    ],
    ['request_object_signing_alg none', { request_object_signing_alg: 'none', redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    ['require_signed_request_object without keys', { require_signed_request_object: true, redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    [
      'private_key_jwt without keys',
      { token_endpoint_auth_method: 'private_key_jwt', redirect_uris: ['https://a.example/cb'] },
      'invalid_client_metadata',
      KEYED,
    ],
    ['an unsupported auth method', { token_endpoint_auth_method: 'private_key_jwt', redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    ['an unknown grant type', { grant_types: ['password'], redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    ['the implicit response type', { response_types: ['token'], redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    ['code without authorization_code (§2.1)', { grant_types: ['client_credentials'], response_types: ['code'] }, 'invalid_client_metadata'],
    ['authorization_code without code (§2.1)', { response_types: [], redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    ['client_credentials for a public client', { grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
    ['no redirect URI with authorization_code', {}, 'invalid_redirect_uri'],
    ['a redirect URI with a fragment', { redirect_uris: ['https://a.example/cb#x'] }, 'invalid_redirect_uri'],
    ['a relative redirect URI', { redirect_uris: ['/cb'] }, 'invalid_redirect_uri'],
    ['plain http off loopback', { redirect_uris: ['http://a.example/cb'] }, 'invalid_redirect_uri'],
    ['credentials in a redirect URI', { redirect_uris: ['https://u:p@a.example/cb'] }, 'invalid_redirect_uri'],
    ['javascript:', { redirect_uris: ['javascript:alert(1)'], token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri'],
    ['a private-use scheme for a confidential client', { redirect_uris: ['com.example.app:/cb'] }, 'invalid_redirect_uri'],
    ['a private-use scheme not in reverse-domain form', { redirect_uris: ['myapp:/cb'], token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri'],
    ['a native app with an https redirect URI', { redirect_uris: ['https://a.example/cb'], application_type: 'native' }, 'invalid_redirect_uri'],
    ['a bad post-logout redirect URI', { redirect_uris: ['https://a.example/cb'], post_logout_redirect_uris: ['http://a.example/'] }, 'invalid_redirect_uri'],
    ['21 redirect URIs', { redirect_uris: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`) }, 'invalid_client_metadata'],
    ['a redirect URI that is not a string', { redirect_uris: [42] }, 'invalid_client_metadata'],
    ['an unsupported scope', { redirect_uris: ['https://a.example/cb'], scope: 'openid admin' }, 'invalid_client_metadata'],
    ['an http logo_uri', { redirect_uris: ['https://a.example/cb'], logo_uri: 'http://a.example/logo.png' }, 'invalid_client_metadata'],
    ['a data: logo_uri', { redirect_uris: ['https://a.example/cb'], logo_uri: 'data:image/png;base64,AAAA' }, 'invalid_client_metadata'],
    ['a javascript: client_uri', { redirect_uris: ['https://a.example/cb'], client_uri: 'javascript:alert(1)' }, 'invalid_client_metadata'],
    ['a tos_uri that is not a URL', { redirect_uris: ['https://a.example/cb'], tos_uri: 'terms' }, 'invalid_client_metadata'],
    ['a client_name that is too long', { redirect_uris: ['https://a.example/cb'], client_name: 'x'.repeat(201) }, 'invalid_client_metadata'],
    ['a client_name with a control character', { redirect_uris: ['https://a.example/cb'], client_name: 'a\u0007b' }, 'invalid_client_metadata'],
    ['a client_name that is not a string', { redirect_uris: ['https://a.example/cb'], client_name: { en: 'x' } }, 'invalid_client_metadata'],
    ['an unknown application_type', { redirect_uris: ['https://a.example/cb'], application_type: 'desktop' }, 'invalid_client_metadata'],
    ['an unknown id token alg', { redirect_uris: ['https://a.example/cb'], id_token_signed_response_alg: 'none' }, 'invalid_client_metadata'],
  ] as [string, unknown, string, ClientMetadataOptions?][])('refuses %s', (_, input, error, options = ANY) => {
    expect(refusal(input, options)?.error).toBe(error);
  });

  it('registers client keys (jwks or jwks_uri) and their algorithms, stored and answered back', () => {
    const metadata = validateClientMetadata(
      {
        redirect_uris: ['https://a.example/cb'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [EC_KEY] },
        token_endpoint_auth_signing_alg: 'ES256',
        request_object_signing_alg: 'PS256',
        require_signed_request_object: true,
      },
      KEYED,
    );
    const record = { clientId: 'c', clientSecretHash: null, createdAt: 0, updatedAt: 0, ...clientRecordFields(metadata) };
    expect(record).toMatchObject({
      jwks: { keys: [EC_KEY] },
      tokenEndpointAuthSigningAlg: 'ES256',
      requestObjectSigningAlg: 'PS256',
      requireSignedRequestObject: true,
    });
    expect(clientMetadataOf(record)).toEqual(metadata);
    const byUri = validateClientMetadata(
      { redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://a.example/jwks' },
      KEYED,
    );
    expect(clientRecordFields(byUri).jwksUri).toBe('https://a.example/jwks');
  });

  it('never echoes the input in the description', () => {
    const secret = 'https://evil.example/cb#SECRET"\\';
    const result = refusal({ redirect_uris: [secret] });
    expect(result).toEqual({ error: 'invalid_redirect_uri', description: 'redirect_uris[0] must not have a fragment' });
  });

  it.each([
    ['loopback IPv4, any port', 'http://127.0.0.1:51004/cb'],
    ['loopback IPv6', 'http://[::1]:8080/cb'],
    ['localhost (RFC 8252 §8.3 discourages it; accepted for native tools)', 'http://localhost:3000/callback'],
    ['a reverse-domain private-use scheme', 'com.example.app:/oauth2redirect'],
  ])('the native-only policy admits %s', (_, uri) => {
    expect(validateClientMetadata({ redirect_uris: [uri], token_endpoint_auth_method: 'none' }, NATIVE).redirect_uris).toEqual([uri]);
  });

  it('the native-only policy refuses https redirect URIs and confidential clients', () => {
    expect(refusal({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' }, NATIVE)?.error).toBe('invalid_redirect_uri');
    expect(refusal({ redirect_uris: ['http://127.0.0.1/cb'] }, NATIVE)).toEqual({
      error: 'invalid_client_metadata',
      description: 'token_endpoint_auth_method must be one of none',
    });
  });

  it('require_pushed_authorization_requests (RFC 9126 §6): a boolean, kept on the record and answered back; an update keeps it', () => {
    const metadata = validateClientMetadata({ redirect_uris: ['https://app.example/cb'], require_pushed_authorization_requests: true }, ANY);
    expect(metadata.require_pushed_authorization_requests).toBe(true);
    const fields = clientRecordFields(metadata);
    expect(fields.requirePushedAuthorizationRequests).toBe(true);
    const client = { ...fields, clientId: 'c', clientSecretHash: null, createdAt: 0, updatedAt: 0 };
    expect(clientMetadataOf(client).require_pushed_authorization_requests).toBe(true);
    // RFC 7592 §2.2: re-sent without it, the requirement stays (a client cannot lift it by omission).
    const resent = withClientMetadata(client, validateClientMetadata({ redirect_uris: ['https://app.example/cb'] }, ANY));
    expect(resent.requirePushedAuthorizationRequests).toBe(true);
    const plain = validateClientMetadata({ redirect_uris: ['https://app.example/cb'], require_pushed_authorization_requests: false }, ANY);
    expect(plain).not.toHaveProperty('require_pushed_authorization_requests');
    expect(clientRecordFields(plain)).not.toHaveProperty('requirePushedAuthorizationRequests');
    expect(refusal({ redirect_uris: ['https://app.example/cb'], require_pushed_authorization_requests: 'yes' })).toEqual({
      error: 'invalid_client_metadata',
      description: 'require_pushed_authorization_requests must be true or false',
    });
  });

  it('registers a client_credentials client without redirect URIs and without response types', () => {
    expect(validateClientMetadata({ grant_types: ['client_credentials'], scope: 'api:read', client_name: 'worker' }, ANY)).toMatchObject({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'api:read',
    });
  });

  it('registers dpop_bound_access_tokens (RFC 9449 §5.2) on the record and answers it; a client cannot lift an operator setting', () => {
    const metadata = validateClientMetadata({ redirect_uris: ['https://app.example/cb'], dpop_bound_access_tokens: true }, ANY);
    expect(metadata.dpop_bound_access_tokens).toBe(true);
    const fields = clientRecordFields(metadata);
    expect(fields.dpopBoundAccessTokens).toBe(true);
    expect(refusal({ redirect_uris: ['https://app.example/cb'], dpop_bound_access_tokens: 'yes' })).toEqual({
      error: 'invalid_client_metadata',
      description: 'dpop_bound_access_tokens must be true or false',
    });
    const record = { ...fields, clientId: 'c', clientSecretHash: null, createdAt: 0, updatedAt: 0 };
    expect(clientMetadataOf(record).dpop_bound_access_tokens).toBe(true);
    const resent = withClientMetadata(record, validateClientMetadata({ redirect_uris: ['https://app.example/cb'], dpop_bound_access_tokens: false }, ANY));
    expect(resent.dpopBoundAccessTokens).toBe(true);
  });
});

describe('backchannel_logout_uri and backchannel_logout_session_required (OpenID Connect Back-Channel Logout 1.0 §2.2)', () => {
  const base = { redirect_uris: ['https://app.example/cb'] };

  it('are kept on the record and answered as registered', () => {
    const metadata = validateClientMetadata(
      { ...base, backchannel_logout_uri: 'https://app.example/backchannel?tenant=1', backchannel_logout_session_required: true },
      ANY,
    );
    expect(metadata).toMatchObject({ backchannel_logout_uri: 'https://app.example/backchannel?tenant=1', backchannel_logout_session_required: true });
    const fields = clientRecordFields(metadata);
    expect(fields).toMatchObject({ backchannelLogoutUri: 'https://app.example/backchannel?tenant=1', backchannelLogoutSessionRequired: true });
    expect(fields.extra).not.toHaveProperty('backchannel_logout_uri');
    const client = { ...fields, clientId: 'c', clientSecretHash: null, createdAt: 0, updatedAt: 0 };
    expect(clientMetadataOf(client)).toMatchObject({
      backchannel_logout_uri: 'https://app.example/backchannel?tenant=1',
      backchannel_logout_session_required: true,
    });
  });

  it('accepts plain http on a loopback host (development)', () => {
    expect(validateClientMetadata({ ...base, backchannel_logout_uri: 'http://127.0.0.1:8080/logout' }, ANY).backchannel_logout_uri).toBe(
      'http://127.0.0.1:8080/logout',
    );
  });

  it.each([
    ['http://app.example/logout', 'backchannel_logout_uri must use https (plain http only on a loopback host)'],
    ['https://app.example/logout#frag', 'backchannel_logout_uri must not have a fragment'],
    ['https://user:pass@app.example/logout', 'backchannel_logout_uri must not carry credentials'],
    ['/logout', 'backchannel_logout_uri must be an absolute URL'],
    ['javascript:alert(1)', 'backchannel_logout_uri must use https (plain http only on a loopback host)'],
  ])('refuses %s with invalid_client_metadata, without echoing it', (uri, description) => {
    expect(refusal({ ...base, backchannel_logout_uri: uri })).toEqual({ error: 'invalid_client_metadata', description });
  });

  it('refuses a session requirement that is not a boolean', () => {
    expect(refusal({ ...base, backchannel_logout_session_required: 'yes' })).toEqual({
      error: 'invalid_client_metadata',
      description: 'backchannel_logout_session_required must be a boolean',
    });
  });
});
