/**
 * The named checks of an authorization request, table by table. Each table says what a request's
 * parameters yield: the value the check adds, or the refusal with its RFC `error` code and
 * description. Where the refusal goes is part of the rule (RFC 6749 §4.1.2.1): the first two checks
 * run before the redirect URI is trusted and never carry a target (the error is shown on a page);
 * every later check redirects to the validated target, with its `state`.
 */
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OAuthErrorCode } from '../../core/errors.js';
import { createMemoryStore } from '../../stores/memory/index.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { parseForm, type FormParams } from '../http/form.js';
import type { KeyRing } from '../keys/signing-keys.js';
import {
  checkClaims,
  checkClient,
  checkIdTokenHint,
  checkMaxAge,
  checkParameterLengths,
  checkPkce,
  checkPrompt,
  checkRedirectUri,
  checkResponseMode,
  checkResponseType,
  checkScope,
} from './checks.js';
import type { ClientLookupContext } from '../clients/find-client.js';
import { AuthorizationError, type AuthorizationTarget } from './request.js';
import { makeClient as makeStoredClient } from '../../stores/contract-suite/records.js';

const ISSUER = 'https://id.example';
const CALLBACK = 'https://app.example/callback';
const OTHER_CALLBACK = 'https://app.example/other';
const TARGET: AuthorizationTarget = { redirectUri: CALLBACK, responseMode: 'query', state: 'af0ifjsldkj' };
/** RFC 7636 Appendix B: the S256 challenge of `dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`. */
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const makeClient = (overrides: Partial<ClientRecord> = {}): ClientRecord =>
  makeStoredClient({ clientSecretHash: 'hash', redirectUris: [CALLBACK], createdAt: 0, updatedAt: 0, ...overrides });

/** Parameters as the endpoint sees them: form-decoded (so `a=` is absent, RFC 6749 §3.1); an `undefined` field is left out. */
const form = (fields: Record<string, string | undefined>): FormParams =>
  parseForm(new URLSearchParams(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString(), []);

/** What a refusal carries: the RFC code, the description, and where it goes. */
interface Refusal {
  error: OAuthErrorCode;
  description: string;
  target: AuthorizationTarget | undefined;
}

/** The refusal thrown by `run`, or the test fails: anything but an {@link AuthorizationError} is a bug. */
async function refusalOf(run: () => unknown): Promise<Refusal> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof AuthorizationError)) throw error;
    return { error: error.error, description: error.message, target: error.target };
  }
  throw new Error('expected the check to refuse the request');
}

describe('checkClient (errors on a page: nothing is trusted yet)', () => {
  const store = createMemoryStore();
  const client = makeClient();
  beforeAll(() => store.clients.create(client));
  // No client metadata documents: the limits and the request are never used.
  const ctx = { store } as Pick<ServerContext, 'store'> as ClientLookupContext;

  it('finds a registered client', async () => {
    expect(await checkClient({ ctx, params: form({ client_id: 'client-1' }) })).toEqual({ client });
  });

  it.each([
    { case: 'no client_id', fields: {}, error: 'invalid_request', description: 'client_id is required' },
    {
      case: 'an empty client_id (RFC 6749 §3.1: empty means omitted)',
      fields: { client_id: '' },
      error: 'invalid_request',
      description: 'client_id is required',
    },
    { case: 'an unknown client', fields: { client_id: 'nobody' }, error: 'invalid_client', description: 'the client is not registered' },
    { case: 'a client_id differing in case only', fields: { client_id: 'CLIENT-1' }, error: 'invalid_client', description: 'the client is not registered' },
    {
      case: 'an unknown client, even with a redirect_uri and state',
      fields: { client_id: 'nobody', redirect_uri: CALLBACK, state: 's' },
      error: 'invalid_client',
      description: 'the client is not registered',
    },
  ])('$case: $error, no target', async ({ fields, error, description }) => {
    expect(await refusalOf(() => checkClient({ ctx, params: form(fields) }))).toEqual({ error, description, target: undefined });
  });
});

describe('checkRedirectUri (exact match; optional with one registered URI outside OpenID)', () => {
  const one = makeClient();
  const two = makeClient({ redirectUris: [CALLBACK, OTHER_CALLBACK] });
  const native = makeClient({ tokenEndpointAuthMethod: 'none', clientSecretHash: null, redirectUris: ['http://127.0.0.1/callback'] });

  it.each([
    {
      case: 'the registered URI, given',
      client: one,
      fields: { redirect_uri: CALLBACK, state: 's1' },
      redirectUri: CALLBACK,
      given: true,
      target: { redirectUri: CALLBACK, responseMode: 'query', state: 's1' },
    },
    {
      case: 'the second of two registered URIs',
      client: two,
      fields: { redirect_uri: OTHER_CALLBACK },
      redirectUri: OTHER_CALLBACK,
      given: true,
      target: { redirectUri: OTHER_CALLBACK, responseMode: 'query', state: undefined },
    },
    {
      case: 'omitted, one registered, no scope',
      client: one,
      fields: {},
      redirectUri: CALLBACK,
      given: false,
      target: { redirectUri: CALLBACK, responseMode: 'query', state: undefined },
    },
    {
      case: 'omitted, one registered, not OpenID',
      client: one,
      fields: { scope: 'profile email', state: 's2' },
      redirectUri: CALLBACK,
      given: false,
      target: { redirectUri: CALLBACK, responseMode: 'query', state: 's2' },
    },
    {
      case: 'response_mode=form_post goes into the target',
      client: one,
      fields: { redirect_uri: CALLBACK, response_mode: 'form_post' },
      redirectUri: CALLBACK,
      given: true,
      target: { redirectUri: CALLBACK, responseMode: 'form_post', state: undefined },
    },
    {
      case: 'an unsupported response_mode: the target uses the default (the next check refuses it)',
      client: one,
      fields: { redirect_uri: CALLBACK, response_mode: 'fragment' },
      redirectUri: CALLBACK,
      given: true,
      target: { redirectUri: CALLBACK, responseMode: 'query', state: undefined },
    },
    {
      case: 'a native client on another loopback port (RFC 8252 §7.3): the requested URI is used',
      client: native,
      fields: { redirect_uri: 'http://127.0.0.1:51004/callback' },
      redirectUri: 'http://127.0.0.1:51004/callback',
      given: true,
      target: { redirectUri: 'http://127.0.0.1:51004/callback', responseMode: 'query', state: undefined },
    },
  ] as const)('$case', ({ client, fields, redirectUri, given, target }) => {
    expect(checkRedirectUri({ params: form(fields), client })).toEqual({ redirectUri, redirectUriGiven: given, target });
  });

  it.each([
    {
      case: 'an unregistered URI',
      client: one,
      fields: { redirect_uri: 'https://evil.example/callback', state: 's' },
      description: 'redirect_uri is not registered for this client',
    },
    {
      case: 'the registered URI with a trailing slash',
      client: one,
      fields: { redirect_uri: `${CALLBACK}/` },
      description: 'redirect_uri is not registered for this client',
    },
    {
      case: 'the registered URI with an extra query',
      client: one,
      fields: { redirect_uri: `${CALLBACK}?next=/admin` },
      description: 'redirect_uri is not registered for this client',
    },
    {
      case: 'the registered URI with a fragment',
      client: one,
      fields: { redirect_uri: `${CALLBACK}#x` },
      description: 'redirect_uri is not registered for this client',
    },
    {
      case: 'the registered URI over http',
      client: one,
      fields: { redirect_uri: CALLBACK.replace('https:', 'http:') },
      description: 'redirect_uri is not registered for this client',
    },
    {
      case: 'omitted in an OpenID request (OIDC Core §3.1.2.1 requires it)',
      client: one,
      fields: { scope: 'openid profile', state: 's' },
      description: 'redirect_uri is required',
    },
    { case: 'omitted with two registered', client: two, fields: { scope: 'profile' }, description: 'redirect_uri is required' },
    { case: 'empty with two registered', client: two, fields: { redirect_uri: '' }, description: 'redirect_uri is required' },
  ] as const)('$case: invalid_request, no target (never redirected)', async ({ client, fields, description }) => {
    expect(await refusalOf(() => checkRedirectUri({ params: form(fields), client }))).toEqual({ error: 'invalid_request', description, target: undefined });
  });
});

describe('checkResponseMode (query or form_post)', () => {
  it.each([
    { fields: {}, target: TARGET, responseMode: 'query' },
    { fields: { response_mode: 'query' }, target: TARGET, responseMode: 'query' },
    { fields: { response_mode: 'form_post' }, target: { ...TARGET, responseMode: 'form_post' }, responseMode: 'form_post' },
  ] as const)('accepts $fields', ({ fields, target, responseMode }) => {
    expect(checkResponseMode({ params: form(fields), target })).toEqual({ responseMode });
  });

  it.each(['fragment', 'form_post.jwt', 'jwt', 'QUERY', 'query form_post'])('refuses response_mode=%s, redirected with the default mode', async (mode) => {
    expect(await refusalOf(() => checkResponseMode({ params: form({ response_mode: mode }), target: TARGET }))).toEqual({
      error: 'invalid_request',
      description: 'response_mode is not supported (use query or form_post)',
      target: TARGET,
    });
  });
});

describe('checkParameterLengths (free text bounded at 2048 characters)', () => {
  const names = ['state', 'nonce', 'login_hint', 'acr_values', 'ui_locales'];

  it.each(names)('accepts %s of exactly 2048 characters', (name) => {
    expect(() => {
      checkParameterLengths({ params: form({ [name]: 'a'.repeat(2048) }), target: TARGET });
    }).not.toThrow();
  });

  it.each(names)('refuses %s of 2049 characters', async (name) => {
    expect(
      await refusalOf(() => {
        checkParameterLengths({ params: form({ [name]: 'a'.repeat(2049) }), target: TARGET });
      }),
    ).toEqual({
      error: 'invalid_request',
      description: `${name} is too long`,
      target: TARGET,
    });
  });

  it('leaves other parameters to their own checks', () => {
    expect(() => {
      checkParameterLengths({ params: form({ prompt: 'x'.repeat(5000), foo: 'y'.repeat(5000) }), target: TARGET });
    }).not.toThrow();
  });
});

describe('checkResponseType (code only, for clients allowed the code flow)', () => {
  const client = makeClient();
  const machine = makeClient({ grantTypes: ['client_credentials'] });

  it('accepts response_type=code from a client with the authorization_code grant', () => {
    expect(() => {
      checkResponseType({ params: form({ response_type: 'code' }), target: TARGET, client });
    }).not.toThrow();
  });

  it.each([
    { case: 'missing', fields: {}, client, error: 'invalid_request', description: 'response_type is required' },
    {
      case: 'implicit token (OAuth 2.1 removed it)',
      fields: { response_type: 'token' },
      client,
      error: 'unsupported_response_type',
      description: 'only response_type=code is supported',
    },
    {
      case: 'hybrid code id_token',
      fields: { response_type: 'code id_token' },
      client,
      error: 'unsupported_response_type',
      description: 'only response_type=code is supported',
    },
    {
      case: 'id_token',
      fields: { response_type: 'id_token' },
      client,
      error: 'unsupported_response_type',
      description: 'only response_type=code is supported',
    },
    {
      case: 'CODE (values are case-sensitive)',
      fields: { response_type: 'CODE' },
      client,
      error: 'unsupported_response_type',
      description: 'only response_type=code is supported',
    },
    {
      case: 'code from a client without the grant',
      fields: { response_type: 'code' },
      client: machine,
      error: 'unauthorized_client',
      description: 'this client is not allowed to use the authorization code flow',
    },
    {
      case: 'token from a client without the grant: the type is refused first',
      fields: { response_type: 'token' },
      client: machine,
      error: 'unsupported_response_type',
      description: 'only response_type=code is supported',
    },
  ] as const)('$case: $error', async ({ fields, client: requester, error, description }) => {
    expect(
      await refusalOf(() => {
        checkResponseType({ params: form(fields), target: TARGET, client: requester });
      }),
    ).toEqual({ error, description, target: TARGET });
  });
});

describe('checkPkce (S256 required, RFC 7636 §4.2-4.3)', () => {
  it('accepts an S256 challenge of 43 base64url characters', () => {
    expect(checkPkce({ params: form({ code_challenge: CHALLENGE, code_challenge_method: 'S256' }), target: TARGET, client: makeClient() })).toEqual({
      codeChallenge: CHALLENGE,
    });
  });

  it.each([
    { case: 'no challenge', fields: { code_challenge_method: 'S256' }, description: 'code_challenge is required (PKCE with S256)' },
    { case: 'no challenge, no method', fields: {}, description: 'code_challenge is required (PKCE with S256)' },
    { case: 'no method (the RFC 7636 default is plain)', fields: { code_challenge: CHALLENGE }, description: 'code_challenge_method must be S256' },
    { case: 'method plain', fields: { code_challenge: CHALLENGE, code_challenge_method: 'plain' }, description: 'code_challenge_method must be S256' },
    {
      case: 'method s256 (case-sensitive)',
      fields: { code_challenge: CHALLENGE, code_challenge_method: 's256' },
      description: 'code_challenge_method must be S256',
    },
    {
      case: '42 characters',
      fields: { code_challenge: CHALLENGE.slice(1), code_challenge_method: 'S256' },
      description: 'code_challenge is not a valid S256 challenge',
    },
    {
      case: '44 characters',
      fields: { code_challenge: `${CHALLENGE}A`, code_challenge_method: 'S256' },
      description: 'code_challenge is not a valid S256 challenge',
    },
    {
      case: 'padded with =',
      fields: { code_challenge: `${CHALLENGE}=`, code_challenge_method: 'S256' },
      description: 'code_challenge is not a valid S256 challenge',
    },
    {
      case: 'base64 (not base64url) characters',
      fields: { code_challenge: CHALLENGE.replace('-', '+'), code_challenge_method: 'S256' },
      description: 'code_challenge is not a valid S256 challenge',
    },
    {
      case: 'a verifier-length plain value (128 characters)',
      fields: { code_challenge: 'a'.repeat(128), code_challenge_method: 'S256' },
      description: 'code_challenge is not a valid S256 challenge',
    },
  ])('$case: invalid_request', async ({ fields, description }) => {
    expect(await refusalOf(() => checkPkce({ params: form(fields), target: TARGET, client: makeClient() }))).toEqual({
      error: 'invalid_request',
      description,
      target: TARGET,
    });
  });

  describe('the OAuth 2.1 section 7.5.2 exception (allowNonceWithoutPkce)', () => {
    const excepted = makeClient({ allowNonceWithoutPkce: true });
    const openidWithNonce = { scope: 'openid profile', nonce: 'n-0S6_WzA2Mj' };

    it('lets a confidential client it is set for go without a challenge in an OpenID request with a nonce', () => {
      expect(checkPkce({ params: form(openidWithNonce), target: TARGET, client: excepted })).toEqual({ codeChallenge: undefined });
    });

    it('still checks a challenge such a client sends', () => {
      const params = form({ ...openidWithNonce, code_challenge: CHALLENGE, code_challenge_method: 'S256' });
      expect(checkPkce({ params, target: TARGET, client: excepted })).toEqual({ codeChallenge: CHALLENGE });
    });

    it.each([
      { case: 'the client is not set for it (the default)', client: makeClient(), fields: openidWithNonce },
      { case: 'no nonce', client: excepted, fields: { scope: 'openid' } },
      { case: 'an empty nonce', client: excepted, fields: { scope: 'openid', nonce: '' } },
      { case: 'no openid scope', client: excepted, fields: { scope: 'profile', nonce: 'n-1' } },
      {
        case: 'a public client',
        client: makeClient({ allowNonceWithoutPkce: true, tokenEndpointAuthMethod: 'none', clientSecretHash: null }),
        fields: openidWithNonce,
      },
      { case: 'a method without a challenge', client: excepted, fields: { ...openidWithNonce, code_challenge_method: 'S256' } },
    ])('refuses a request without a challenge when $case', async ({ client, fields }) => {
      expect((await refusalOf(() => checkPkce({ params: form(fields), target: TARGET, client }))).error).toBe('invalid_request');
    });
  });
});

describe('checkScope (well formed, allowed, not empty)', () => {
  const client = makeClient({ scope: 'openid profile email api:read' });

  it.each([
    { scope: 'openid', expected: ['openid'] },
    { scope: 'openid profile email', expected: ['openid', 'profile', 'email'] },
    { scope: 'email openid', expected: ['email', 'openid'] },
    { scope: 'openid openid profile', expected: ['openid', 'profile'] },
    { scope: '  openid   api:read ', expected: ['openid', 'api:read'] },
    { scope: 'api:read', expected: ['api:read'] },
  ])('$scope → $expected', ({ scope, expected }) => {
    expect(checkScope({ params: form({ scope }), target: TARGET, client })).toEqual({ scope: expected });
  });

  it.each([
    { case: 'missing', fields: {}, description: 'scope is required' },
    { case: 'only spaces', fields: { scope: '   ' }, description: 'scope is required' },
    { case: 'a scope the client may not use', fields: { scope: 'openid admin' }, description: 'a requested scope is not allowed for this client' },
    {
      case: 'a scope differing in case (scopes are case-sensitive)',
      fields: { scope: 'OpenID' },
      description: 'a requested scope is not allowed for this client',
    },
    {
      case: 'a malformed token',
      fields: { scope: 'openid "profile"' },
      description: 'scope holds a token that is not a valid scope token (RFC 6749 section 3.3)',
    },
    {
      case: 'a tab as separator',
      fields: { scope: 'openid\tprofile' },
      description: 'scope holds a token that is not a valid scope token (RFC 6749 section 3.3)',
    },
    {
      case: 'malformed and not allowed: malformed first',
      fields: { scope: 'admin caf\u00e9' },
      description: 'scope holds a token that is not a valid scope token (RFC 6749 section 3.3)',
    },
  ])('$case: invalid_scope', async ({ fields, description }) => {
    expect(await refusalOf(() => checkScope({ params: form(fields), target: TARGET, client }))).toEqual({
      error: 'invalid_scope',
      description,
      target: TARGET,
    });
  });
});

const signUpPolicy = (signUp: 'off' | 'open' | 'invite') => ({ config: { accounts: { signUp } } }) as unknown as Pick<ServerContext, 'config'>;
const SIGN_UP_OFF = signUpPolicy('off');
const SIGN_UP_OPEN = signUpPolicy('open');
const SIGN_UP_INVITE = signUpPolicy('invite');

describe('checkPrompt (known values; none alone, OIDC Core §3.1.2.1)', () => {
  it.each([
    { fields: {}, prompt: [] },
    { fields: { prompt: 'none' }, prompt: ['none'] },
    { fields: { prompt: 'login' }, prompt: ['login'] },
    { fields: { prompt: 'consent' }, prompt: ['consent'] },
    { fields: { prompt: 'select_account' }, prompt: ['select_account'] },
    { fields: { prompt: 'login consent' }, prompt: ['login', 'consent'] },
    { fields: { prompt: ' select_account  consent ' }, prompt: ['select_account', 'consent'] },
  ])('$fields → $prompt', ({ fields, prompt }) => {
    expect(checkPrompt({ ctx: SIGN_UP_OFF, params: form(fields), target: TARGET })).toEqual({ prompt });
  });

  it('accepts prompt=create only while sign-up is open (OpenID Connect Prompt Create 1.0), never with none', async () => {
    expect(checkPrompt({ ctx: SIGN_UP_OPEN, params: form({ prompt: 'create' }), target: TARGET })).toEqual({ prompt: ['create'] });
    for (const ctx of [SIGN_UP_OFF, SIGN_UP_INVITE]) {
      expect(await refusalOf(() => checkPrompt({ ctx, params: form({ prompt: 'create' }), target: TARGET }))).toEqual({
        error: 'invalid_request',
        description: 'prompt holds a value that is not supported',
        target: TARGET,
      });
    }
    expect(await refusalOf(() => checkPrompt({ ctx: SIGN_UP_OPEN, params: form({ prompt: 'create none' }), target: TARGET }))).toEqual({
      error: 'invalid_request',
      description: 'prompt=none cannot be combined with other values',
      target: TARGET,
    });
  });

  it.each([
    { prompt: 'create', description: 'prompt holds a value that is not supported' },
    { prompt: 'Login', description: 'prompt holds a value that is not supported' },
    { prompt: 'login bogus', description: 'prompt holds a value that is not supported' },
    { prompt: 'none login', description: 'prompt=none cannot be combined with other values' },
    { prompt: 'consent none', description: 'prompt=none cannot be combined with other values' },
  ])('refuses prompt=$prompt: invalid_request', async ({ prompt, description }) => {
    expect(await refusalOf(() => checkPrompt({ ctx: SIGN_UP_OFF, params: form({ prompt }), target: TARGET }))).toEqual({
      error: 'invalid_request',
      description,
      target: TARGET,
    });
  });
});

describe('checkMaxAge (non-negative integer seconds)', () => {
  it.each([
    { fields: {}, maxAge: undefined },
    { fields: { max_age: '0' }, maxAge: 0 },
    { fields: { max_age: '3600' }, maxAge: 3600 },
    { fields: { max_age: '007' }, maxAge: 7 },
    { fields: { max_age: '9999999999' }, maxAge: 9_999_999_999 },
  ])('$fields → $maxAge', ({ fields, maxAge }) => {
    expect(checkMaxAge({ params: form(fields), target: TARGET })).toEqual({ maxAge });
  });

  it.each(['-1', '1.5', '1e3', '0x10', ' 60', '60s', 'Infinity', '10000000000'])('refuses max_age=%j: invalid_request', async (value) => {
    expect(await refusalOf(() => checkMaxAge({ params: form({ max_age: value }), target: TARGET }))).toEqual({
      error: 'invalid_request',
      description: 'max_age must be a non-negative integer',
      target: TARGET,
    });
  });
});

describe('checkIdTokenHint (an ID token of this server for this client, any expiry)', () => {
  const KID = 'key-1';
  const NOW = 1_800_000_000;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  let ctx: Pick<ServerContext, 'keys' | 'config'>;
  const client = makeClient();

  beforeAll(async () => {
    const signer = await generateKeyPair('ES256');
    key = signer.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const keys: Pick<KeyRing, 'publicKey'> = { publicKey: (kid) => (kid === KID ? { alg: 'ES256', key: signer.publicKey } : undefined) };
    ctx = { keys, config: { issuer: ISSUER } } as unknown as Pick<ServerContext, 'keys' | 'config'>;
  });

  interface Hint {
    claims?: Record<string, unknown>;
    header?: Record<string, unknown>;
    signWith?: 'key' | 'other';
  }
  async function sign({ claims = {}, header = {}, signWith = 'key' }: Hint): Promise<string> {
    // A claim or header set to `undefined` is left out.
    const defined = (entries: Record<string, unknown>) => Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
    const payload = defined({ iss: ISSUER, sub: 'user-1', aud: 'client-1', iat: NOW, exp: NOW + 600, auth_time: NOW, ...claims });
    const protectedHeader = defined({ alg: 'ES256', kid: KID, typ: 'JWT', ...header }) as { alg: string };
    return new SignJWT(payload).setProtectedHeader(protectedHeader).sign(signWith === 'key' ? key : otherKey);
  }

  it('no hint: no hinted user', async () => {
    expect(await checkIdTokenHint({ ctx, params: form({}), target: TARGET, client })).toEqual({ hintedSub: undefined });
  });

  it.each<{ case: string; hint: Hint; sub: string }>([
    { case: 'a fresh ID token', hint: {}, sub: 'user-1' },
    { case: 'expired long ago (a hint identifies, it does not authenticate)', hint: { claims: { iat: 1_000_000_000, exp: 1_000_000_600 } }, sub: 'user-1' },
    { case: 'issued in the future', hint: { claims: { iat: NOW + 86_400, exp: NOW + 90_000 } }, sub: 'user-1' },
    { case: 'several audiences including the client', hint: { claims: { aud: ['other-client', 'client-1'], azp: 'other-client' } }, sub: 'user-1' },
    { case: 'no typ header', hint: { header: { typ: undefined } }, sub: 'user-1' },
    { case: 'another user', hint: { claims: { sub: 'user-2' } }, sub: 'user-2' },
  ])('accepts $case', async ({ hint, sub }) => {
    const params = form({ id_token_hint: await sign(hint) });
    expect(await checkIdTokenHint({ ctx, params, target: TARGET, client })).toEqual({ hintedSub: sub });
  });

  it.each<{ case: string; hint: Hint | string }>([
    { case: 'another issuer', hint: { claims: { iss: 'https://other.example' } } },
    { case: 'the issuer with a trailing slash', hint: { claims: { iss: `${ISSUER}/` } } },
    { case: 'issued to another client', hint: { claims: { aud: 'other-client' } } },
    { case: 'an access token (typ at+jwt, RFC 9068 §2.1)', hint: { header: { typ: 'at+jwt' }, claims: { aud: 'client-1', client_id: 'client-1' } } },
    { case: 'an unknown kid', hint: { header: { kid: 'key-2' } } },
    { case: 'no kid', hint: { header: { kid: undefined } } },
    { case: 'signed by another key under the published kid', hint: { signWith: 'other' } },
    { case: 'no sub', hint: { claims: { sub: undefined } } },
    { case: 'no aud', hint: { claims: { aud: undefined } } },
    { case: 'no iss', hint: { claims: { iss: undefined } } },
    { case: 'not a JWT', hint: 'not-a-jwt' },
    {
      case: 'an unsigned JWT (alg none)',
      hint: 'eyJhbGciOiJub25lIiwia2lkIjoia2V5LTEifQ.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUiLCJzdWIiOiJ1c2VyLTEiLCJhdWQiOiJjbGllbnQtMSJ9.',
    },
  ])('refuses $case: invalid_request, redirected', async ({ hint }) => {
    const token = typeof hint === 'string' ? hint : await sign(hint);
    expect(await refusalOf(() => checkIdTokenHint({ ctx, params: form({ id_token_hint: token }), target: TARGET, client }))).toEqual({
      error: 'invalid_request',
      description: 'id_token_hint is not a valid ID token of this server for this client',
      target: TARGET,
    });
  });

  it('refuses a token signed with HS256 under the published kid (algorithm confusion)', async () => {
    const token = await new SignJWT({ iss: ISSUER, sub: 'user-1', aud: 'client-1' }).setProtectedHeader({ alg: 'HS256', kid: KID }).sign(new Uint8Array(32));
    expect((await refusalOf(() => checkIdTokenHint({ ctx, params: form({ id_token_hint: token }), target: TARGET, client }))).error).toBe('invalid_request');
  });
});

describe('checkClaims (the claims parameter, OIDC Core §5.5)', () => {
  const claims = (value: unknown): FormParams => form({ claims: JSON.stringify(value) });
  const PAPE = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
  const OPENID = ['openid'];
  const MFA_ON = { config: { mfa: { policy: 'optional' } } } as Pick<ServerContext, 'config'>;
  const essentialAcrOf = (params: FormParams) => checkClaims({ ctx: MFA_ON, params, target: TARGET, scope: OPENID }).essentialAcr;

  it.each([
    { case: 'no claims parameter', params: form({}), essentialAcr: undefined },
    { case: 'an empty object', params: claims({}), essentialAcr: undefined },
    { case: 'claims without acr', params: claims({ id_token: { email: { essential: true } } }), essentialAcr: undefined },
    { case: 'a voluntary acr (not acted on)', params: claims({ id_token: { acr: { values: ['urn:unknown'] } } }), essentialAcr: undefined },
    { case: 'acr essential: false', params: claims({ id_token: { acr: { essential: false, values: ['2'] } } }), essentialAcr: undefined },
    { case: 'acr null (default)', params: claims({ id_token: { acr: null } }), essentialAcr: undefined },
    {
      case: 'an essential acr for userinfo only',
      params: claims({ userinfo: { acr: { essential: true, values: ['urn:unknown'] } } }),
      essentialAcr: undefined,
    },
    { case: 'essential, without values', params: claims({ id_token: { acr: { essential: true } } }), essentialAcr: [] },
    { case: 'essential, values [2]', params: claims({ id_token: { acr: { essential: true, values: ['2'] } } }), essentialAcr: ['2'] },
    { case: 'essential, value 1', params: claims({ id_token: { acr: { essential: true, value: '1' } } }), essentialAcr: ['1'] },
    { case: 'essential, the PAPE multi-factor URI', params: claims({ id_token: { acr: { essential: true, values: [PAPE] } } }), essentialAcr: [PAPE] },
    {
      case: 'essential, one known value among unknown ones',
      params: claims({ id_token: { acr: { essential: true, values: ['urn:gold', '2'] } } }),
      essentialAcr: ['urn:gold', '2'],
    },
    { case: 'essential, values keep only strings', params: claims({ id_token: { acr: { essential: true, values: [2, '1', null] } } }), essentialAcr: ['1'] },
    {
      case: 'essential, values wins over value',
      params: claims({ id_token: { acr: { essential: true, values: ['2'], value: 'urn:unknown' } } }),
      essentialAcr: ['2'],
    },
  ])('$case → essentialAcr $essentialAcr', ({ params, essentialAcr }) => {
    expect(essentialAcrOf(params)).toEqual(essentialAcr);
  });

  it('keeps the user claims this server knows, per member, in order; ignores unknown claims and members (section 5.5)', () => {
    const params = claims({
      id_token: { email: { essential: true }, name: null, auth_time: { essential: true }, 'urn:example:shoe_size': null, nickname: { value: 'x' } },
      userinfo: { phone_number: null, given_name: { values: ['Ann'] }, acr: null },
      'urn:example:other_member': { anything: true },
    });
    expect(checkClaims({ ctx: MFA_ON, params, target: TARGET, scope: OPENID })).toEqual({
      essentialAcr: undefined,
      requestedClaims: { idToken: ['email', 'name', 'nickname'], userinfo: ['phone_number', 'given_name'] },
      claimedSub: undefined,
    });
  });

  it('keeps no individual claims in a request without openid (no ID token, no UserInfo)', () => {
    expect(checkClaims({ ctx: MFA_ON, params: claims({ id_token: { email: null } }), target: TARGET, scope: ['profile'] }).requestedClaims).toBeUndefined();
  });

  it('reads id_token.sub.value as the user the request is for', () => {
    expect(checkClaims({ ctx: MFA_ON, params: claims({ id_token: { sub: { value: 'user-1' } } }), target: TARGET, scope: OPENID }).claimedSub).toBe('user-1');
    expect(
      checkClaims({ ctx: MFA_ON, params: claims({ id_token: { sub: { value: 'user-1' } } }), target: TARGET, scope: OPENID, hintedSub: 'user-1' }).claimedSub,
    ).toBe('user-1');
  });

  it('accepts a claims parameter of exactly 8192 characters', () => {
    const padding = 'x'.repeat(8192 - JSON.stringify({ pad: '' }).length);
    const params = claims({ pad: padding });
    expect(params.get('claims')).toHaveLength(8192);
    expect(essentialAcrOf(params)).toBeUndefined();
  });

  const NOT_AN_OBJECT = 'claims must be a JSON object (OIDC Core section 5.5)';
  it.each([
    {
      case: 'an essential acr none of whose values the server can meet',
      params: claims({ id_token: { acr: { essential: true, values: ['urn:gold', 'urn:silver'] } } }),
      error: 'access_denied',
      description: 'the essential acr requested cannot be met by this server',
    },
    {
      case: 'an essential acr value the server cannot meet',
      params: claims({ id_token: { acr: { essential: true, value: '3' } } }),
      error: 'access_denied',
      description: 'the essential acr requested cannot be met by this server',
    },
    { case: 'over 8192 characters', params: claims({ pad: 'x'.repeat(8192) }), error: 'invalid_request', description: 'claims is too long' },
    { case: 'not JSON', params: form({ claims: '{id_token:' }), error: 'invalid_request', description: NOT_AN_OBJECT },
    { case: 'a JSON array', params: form({ claims: '[]' }), error: 'invalid_request', description: NOT_AN_OBJECT },
    { case: 'JSON null', params: form({ claims: 'null' }), error: 'invalid_request', description: NOT_AN_OBJECT },
    { case: 'a JSON string', params: form({ claims: '"acr"' }), error: 'invalid_request', description: NOT_AN_OBJECT },
    { case: 'a JSON number', params: form({ claims: '42' }), error: 'invalid_request', description: NOT_AN_OBJECT },
    { case: 'id_token null', params: claims({ id_token: null }), error: 'invalid_request', description: NOT_AN_OBJECT },
    { case: 'userinfo an array', params: claims({ userinfo: ['email'] }), error: 'invalid_request', description: NOT_AN_OBJECT },
    { case: 'a claim request that is a string', params: claims({ id_token: { email: 'yes' } }), error: 'invalid_request', description: NOT_AN_OBJECT },
    { case: 'a claim request that is true', params: claims({ userinfo: { email: true } }), error: 'invalid_request', description: NOT_AN_OBJECT },
    {
      case: 'essential not a boolean',
      params: claims({ id_token: { acr: { essential: 'true', values: ['2'] } } }),
      error: 'invalid_request',
      description: NOT_AN_OBJECT,
    },
    { case: 'values not an array', params: claims({ userinfo: { email: { values: 'a@example.com' } } }), error: 'invalid_request', description: NOT_AN_OBJECT },
    { case: 'a sub value that is not a string', params: claims({ id_token: { sub: { value: 42 } } }), error: 'invalid_request', description: NOT_AN_OBJECT },
  ] as const)('refuses $case: $error', async ({ params, error, description }) => {
    expect(await refusalOf(() => checkClaims({ ctx: MFA_ON, params, target: TARGET, scope: OPENID }))).toEqual({ error, description, target: TARGET });
  });

  it('refuses an essential acr of 2 while second factors are off: access_denied (section 5.5.1.1)', async () => {
    const ctx = { config: { mfa: { policy: 'off' } } } as Pick<ServerContext, 'config'>;
    const only2 = claims({ id_token: { acr: { essential: true, values: ['2'] } } });
    expect((await refusalOf(() => checkClaims({ ctx, params: only2, target: TARGET, scope: OPENID }))).error).toBe('access_denied');
    const either = claims({ id_token: { acr: { essential: true, values: ['2', '1'] } } });
    expect(checkClaims({ ctx, params: either, target: TARGET, scope: OPENID }).essentialAcr).toEqual(['2', '1']);
  });

  it('refuses a sub value that is not the id_token_hint user: login_required (section 5.5.1)', async () => {
    const params = claims({ id_token: { sub: { value: 'user-2' } } });
    expect(await refusalOf(() => checkClaims({ ctx: MFA_ON, params, target: TARGET, scope: OPENID, hintedSub: 'user-1' }))).toEqual({
      error: 'login_required',
      description: 'the claims sub value and id_token_hint name different users',
      target: TARGET,
    });
  });
});
