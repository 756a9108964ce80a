/**
 * Redirect URI matching, table by table: an exact string comparison for every client (RFC 9700
 * §4.1.3, OAuth 2.1 §2.3.1), with the one RFC 8252 §7.3 exception for native (public) clients: a
 * loopback IP literal over http matches on any port, and on nothing else that differs.
 */
import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../stores/contract.js';
import { matchRedirectUri } from './redirect-uri-match.js';

function client(redirectUris: string[], tokenEndpointAuthMethod: ClientRecord['tokenEndpointAuthMethod']): ClientRecord {
  return {
    clientId: 'client-1',
    clientSecretHash: tokenEndpointAuthMethod === 'none' ? null : 'hash',
    clientName: 'Example App',
    redirectUris,
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code'],
    scope: 'openid',
    tokenEndpointAuthMethod,
    idTokenSignedResponseAlg: 'ES256',
    resources: [],
    isResourceServer: false,
    servedResources: [],
    extra: {},
    createdAt: 0,
    updatedAt: 0,
  };
}

const WEB = 'https://app.example/callback';

describe('matchRedirectUri: exact match, for every client (RFC 9700 §4.1.3)', () => {
  const confidential = client(
    [WEB, 'https://app.example/cb?tenant=a', 'http://127.0.0.1:8080/callback', 'com.example.app:/oauth2redirect'],
    'client_secret_basic',
  );
  const native = client([WEB, 'https://app.example/cb?tenant=a', 'com.example.app:/oauth2redirect'], 'none');

  it.each([
    { requested: WEB, match: true },
    { requested: 'https://app.example/cb?tenant=a', match: true },
    { requested: 'com.example.app:/oauth2redirect', match: true },
    { requested: 'https://APP.example/callback', match: false },
    { requested: 'HTTPS://app.example/callback', match: false },
    { requested: 'https://app.example/Callback', match: false },
    { requested: 'https://app.example/callback/', match: false },
    { requested: 'https://app.example/callback/../callback', match: false },
    { requested: 'https://app.example/%63allback', match: false },
    { requested: 'https://app.example:443/callback', match: false },
    { requested: 'https://app.example:8443/callback', match: false },
    { requested: 'http://app.example/callback', match: false },
    { requested: 'https://app.example/callback?x=1', match: false },
    { requested: 'https://app.example/callback?', match: false },
    { requested: 'https://app.example/callback#', match: false },
    { requested: 'https://app.example/callback#frag', match: false },
    { requested: 'https://app.example/cb?tenant=b', match: false },
    { requested: 'https://app.example/cb?tenant=a&tenant=b', match: false },
    { requested: 'https://app.example.evil.example/callback', match: false },
    { requested: 'https://user@app.example/callback', match: false },
    { requested: ' https://app.example/callback', match: false },
    { requested: 'com.example.app:/other', match: false },
    { requested: 'com.example.app://oauth2redirect', match: false },
    { requested: 'not a uri', match: false },
  ])('$requested: $match', ({ requested, match }) => {
    expect(matchRedirectUri(confidential, requested)).toBe(match);
    expect(matchRedirectUri(native, requested)).toBe(match);
  });
});

describe('matchRedirectUri: loopback ports for native clients (RFC 8252 §7.3)', () => {
  it.each([
    // The port may vary for native (public) clients...
    {
      case: 'registered without a port, requested with one',
      registered: 'http://127.0.0.1/callback',
      requested: 'http://127.0.0.1:51004/callback',
      auth: 'none',
      match: true,
    },
    {
      case: 'registered with a port, requested with another',
      registered: 'http://127.0.0.1:8080/callback',
      requested: 'http://127.0.0.1:9090/callback',
      auth: 'none',
      match: true,
    },
    {
      case: 'registered with a port, requested without',
      registered: 'http://127.0.0.1:8080/callback',
      requested: 'http://127.0.0.1/callback',
      auth: 'none',
      match: true,
    },
    { case: 'IPv6 loopback with a port', registered: 'http://[::1]/callback', requested: 'http://[::1]:51004/callback', auth: 'none', match: true },
    { case: 'root path, with its slash', registered: 'http://127.0.0.1/', requested: 'http://127.0.0.1:51004/', auth: 'none', match: true },
    {
      case: 'the same query',
      registered: 'http://127.0.0.1/callback?app=cli',
      requested: 'http://127.0.0.1:51004/callback?app=cli',
      auth: 'none',
      match: true,
    },
    { case: 'the exact registered URI', registered: 'http://127.0.0.1:8080/callback', requested: 'http://127.0.0.1:8080/callback', auth: 'none', match: true },
    // ...and not for confidential clients: exact match only.
    {
      case: 'a confidential client on another port',
      registered: 'http://127.0.0.1:8080/callback',
      requested: 'http://127.0.0.1:9090/callback',
      auth: 'client_secret_basic',
      match: false,
    },
    {
      case: 'a confidential client adding a port',
      registered: 'http://127.0.0.1/callback',
      requested: 'http://127.0.0.1:51004/callback',
      auth: 'client_secret_basic',
      match: false,
    },
    {
      case: 'a client_secret_post client on another port',
      registered: 'http://127.0.0.1/callback',
      requested: 'http://127.0.0.1:51004/callback',
      auth: 'client_secret_post',
      match: false,
    },
    {
      case: 'a confidential client, exact',
      registered: 'http://127.0.0.1:8080/callback',
      requested: 'http://127.0.0.1:8080/callback',
      auth: 'client_secret_basic',
      match: true,
    },
  ] as const)('$case ($auth): $match', ({ registered, requested, auth, match }) => {
    expect(matchRedirectUri(client([registered], auth), requested)).toBe(match);
  });

  it.each([
    { case: 'another path', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/other' },
    { case: 'a trailing slash added', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/callback/' },
    { case: 'a trailing slash dropped', registered: 'http://127.0.0.1/callback/', requested: 'http://127.0.0.1:51004/callback' },
    { case: 'the root without its slash', registered: 'http://127.0.0.1/', requested: 'http://127.0.0.1:51004' },
    { case: 'a path differing in case', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/Callback' },
    { case: 'a percent-encoded path', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/%63allback' },
    { case: 'a dot segment', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/x/../callback' },
    { case: 'a query added', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/callback?x=1' },
    { case: 'an empty query added', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/callback?' },
    { case: 'another query', registered: 'http://127.0.0.1/callback?app=cli', requested: 'http://127.0.0.1:51004/callback?app=gui' },
    { case: 'a fragment added', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/callback#x' },
    { case: 'an empty fragment added', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/callback#' },
    { case: 'localhost (RFC 8252 §8.3: not a loopback IP literal)', registered: 'http://localhost/callback', requested: 'http://localhost:51004/callback' },
    { case: 'localhost for a registered 127.0.0.1', registered: 'http://127.0.0.1/callback', requested: 'http://localhost:51004/callback' },
    { case: '127.0.0.1 for a registered localhost', registered: 'http://localhost/callback', requested: 'http://127.0.0.1:51004/callback' },
    { case: 'IPv6 for a registered IPv4 loopback', registered: 'http://127.0.0.1/callback', requested: 'http://[::1]:51004/callback' },
    { case: 'IPv4 for a registered IPv6 loopback', registered: 'http://[::1]/callback', requested: 'http://127.0.0.1:51004/callback' },
    { case: 'another loopback address (127.0.0.2)', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.2:51004/callback' },
    { case: 'a shorthand of 127.0.0.1', registered: 'http://127.0.0.1/callback', requested: 'http://127.1:51004/callback' },
    { case: 'a long form of ::1', registered: 'http://[::1]/callback', requested: 'http://[0:0:0:0:0:0:0:1]:51004/callback' },
    { case: 'userinfo added', registered: 'http://127.0.0.1/callback', requested: 'http://user@127.0.0.1:51004/callback' },
    { case: 'the scheme in upper case', registered: 'http://127.0.0.1/callback', requested: 'HTTP://127.0.0.1:51004/callback' },
    { case: 'https requested for a registered http loopback', registered: 'http://127.0.0.1/callback', requested: 'https://127.0.0.1:51004/callback' },
    {
      case: 'an https loopback registration (the exception is for http)',
      registered: 'https://127.0.0.1/callback',
      requested: 'https://127.0.0.1:51004/callback',
    },
    { case: 'http requested for a registered https loopback', registered: 'https://127.0.0.1/callback', requested: 'http://127.0.0.1:51004/callback' },
    { case: 'a non-loopback host with another port', registered: 'http://192.168.1.10/callback', requested: 'http://192.168.1.10:51004/callback' },
    { case: 'a web URI with another port', registered: WEB, requested: 'https://app.example:8443/callback' },
  ])('$case: no match, even for a native client', ({ registered, requested }) => {
    expect(matchRedirectUri(client([registered], 'none'), requested)).toBe(false);
  });

  it('matches against any registered loopback URI, not only the first', () => {
    const native = client([WEB, 'http://127.0.0.1/first', 'http://[::1]/second'], 'none');
    expect(matchRedirectUri(native, 'http://[::1]:6000/second')).toBe(true);
    expect(matchRedirectUri(native, 'http://[::1]:6000/first')).toBe(false);
  });

  it('skips registered URIs that are not URLs', () => {
    expect(matchRedirectUri(client(['not a uri', 'http://127.0.0.1/callback'], 'none'), 'http://127.0.0.1:6000/callback')).toBe(true);
  });

  // RFC 8252 §7.3: the server "MUST allow any port to be specified". The WHATWG URL parser drops
  // the default port (`URL.host` of `http://127.0.0.1:80/...` is `127.0.0.1`), so the comparison
  // is made on the string as written, port removed: an explicit `:80` is a port like any other.
  it.each([
    { case: 'port 80 requested', registered: 'http://127.0.0.1/callback', requested: 'http://127.0.0.1:80/callback' },
    { case: 'port 80 requested, another port registered', registered: 'http://127.0.0.1:8080/callback', requested: 'http://127.0.0.1:80/callback' },
    { case: 'port 80 registered explicitly', registered: 'http://127.0.0.1:80/callback', requested: 'http://127.0.0.1:51004/callback' },
    { case: 'port 80 on IPv6', registered: 'http://[::1]/callback', requested: 'http://[::1]:80/callback' },
  ])('$case matches like any other port (an explicit :80 too)', ({ registered, requested }) => {
    expect(matchRedirectUri(client([registered], 'none'), requested)).toBe(true);
  });
});
