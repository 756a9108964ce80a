/**
 * What the client must refuse at the callback, against the fake Google made to misbehave:
 * CSRF/state (RFC 6749 §10.12, RFC 9700 §4.7), mix-up (RFC 9207, RFC 9700 §4.4), ID token
 * validation (OIDC Core §3.1.3.7: signature, alg, iss, aud, nonce), and OAuth errors from the
 * authorization and token endpoints (RFC 6749 §4.1.2.1, §5.2) kept apart from validation failures.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOAuthClient, google, OAuthProviderError, OAuthValidationError, type OAuthClient, type ValidationFailure } from '../../../src/client/index.js';
import { callbackRequest, parseSetCookie, providerRedirect } from '../../fakes/browser.js';
import { startFakeGoogle, type FakeGoogle } from '../../fakes/fake-google.js';

const REDIRECT_URI = 'https://app.example/auth/callback';
const SECRET = 'x'.repeat(40);

let fake: FakeGoogle;
let client: OAuthClient;

beforeEach(async () => {
  fake = await startFakeGoogle({ redirectUris: [REDIRECT_URI] });
  client = makeClient();
});

afterEach(async () => {
  await fake.close();
});

function makeClient(overrides: { secret?: string; now?: () => number } = {}): OAuthClient {
  return createOAuthClient({
    provider: google({ issuer: fake.issuer }),
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    redirectUri: REDIRECT_URI,
    secret: overrides.secret ?? SECRET,
    allowInsecureRequests: true,
    ...(overrides.now ? { now: overrides.now } : {}),
  });
}

/** One sign-in attempt up to the provider's redirect back. */
async function attempt(using: OAuthClient = client): Promise<{ location: URL; setCookie: string }> {
  const { url, setCookie } = await using.authorizationUrl();
  return { location: new URL(await providerRedirect(url)), setCookie };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('the callback was accepted'),
    (error: unknown) => error,
  );
}

async function expectValidationError(promise: Promise<unknown>, reasons: ValidationFailure | ValidationFailure[]): Promise<OAuthValidationError> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(OAuthValidationError);
  expect([reasons].flat()).toContain((error as OAuthValidationError).reason);
  expect((error as OAuthValidationError).code).toBe('ERR_OAUTH_VALIDATION');
  return error as OAuthValidationError;
}

describe('state and the transaction cookie', () => {
  it("a callback for an attempt this browser did not start (another attempt's cookie) is refused", async () => {
    const mine = await attempt();
    const theirs = await attempt();
    // The attacker's code and state, with the victim's cookie (login CSRF).
    await expectValidationError(client.handleCallback(callbackRequest(theirs.location.href, [mine.setCookie])), ['missing_transaction', 'state_mismatch']);
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  it('a callback whose state was changed is refused', async () => {
    const { location, setCookie } = await attempt();
    location.searchParams.set('state', 'attacker-chosen-state');
    await expectValidationError(client.handleCallback(callbackRequest(location.href, [setCookie])), ['missing_transaction', 'state_mismatch']);
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  it('a callback without state is refused as state_mismatch', async () => {
    const { location, setCookie } = await attempt();
    location.searchParams.delete('state');
    await expectValidationError(client.handleCallback(callbackRequest(location.href, [setCookie])), 'state_mismatch');
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  it('a callback without any cookie is refused as missing_transaction', async () => {
    const { location } = await attempt();
    await expectValidationError(client.handleCallback(new Request(location.href)), 'missing_transaction');
  });

  it('a tampered transaction cookie is refused as missing_transaction', async () => {
    const { location, setCookie } = await attempt();
    const { name, value } = parseSetCookie(setCookie);
    const parts = value.split('.');
    const body = Buffer.from(parts[2]!, 'base64url');
    body[0]! ^= 0x01;
    parts[2] = body.toString('base64url');
    const tampered = `${name}=${parts.join('.')}`;
    await expectValidationError(client.handleCallback(new Request(location.href, { headers: { cookie: tampered } })), 'missing_transaction');
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  it("another attempt's cookie value moved under this attempt's cookie name is refused", async () => {
    const mine = await attempt();
    const other = await attempt();
    const { name } = parseSetCookie(mine.setCookie);
    const { value } = parseSetCookie(other.setCookie);
    await expectValidationError(client.handleCallback(new Request(mine.location.href, { headers: { cookie: `${name}=${value}` } })), 'missing_transaction');
  });

  it("a cookie sealed with another application's secret is refused", async () => {
    const stranger = makeClient({ secret: 'y'.repeat(40) });
    const { location, setCookie } = await attempt(stranger);
    await expectValidationError(client.handleCallback(callbackRequest(location.href, [setCookie])), 'missing_transaction');
  });

  it('a sign-in attempt older than 10 minutes is refused', async () => {
    let now = Date.now();
    const clocked = makeClient({ now: () => now });
    const { location, setCookie } = await attempt(clocked);
    now += 601_000;
    await expectValidationError(clocked.handleCallback(callbackRequest(location.href, [setCookie])), 'missing_transaction');
    expect(fake.tokenRequests()).toHaveLength(0);
  });
});

describe('mix-up defence (RFC 9207)', () => {
  it("an authorization response with another issuer's iss is refused before the code is sent anywhere", async () => {
    fake.misbehave = { authorizationResponseIss: 'https://evil.example' };
    const { location, setCookie } = await attempt();
    expect(location.searchParams.get('iss')).toBe('https://evil.example');
    await expectValidationError(client.handleCallback(callbackRequest(location.href, [setCookie])), 'iss_mismatch');
    expect(fake.tokenRequests()).toHaveLength(0);
  });
});

describe('ID token validation (OIDC Core §3.1.3.7)', () => {
  it('a nonce other than the one sent is refused as nonce_mismatch', async () => {
    fake.misbehave = { idTokenNonce: 'replayed-nonce' };
    const { location, setCookie } = await attempt();
    await expectValidationError(client.handleCallback(callbackRequest(location.href, [setCookie])), 'nonce_mismatch');
  });

  it('alg: none is refused as id_token_invalid', async () => {
    fake.misbehave = { idTokenAlgNone: true };
    const { location, setCookie } = await attempt();
    await expectValidationError(client.handleCallback(callbackRequest(location.href, [setCookie])), 'id_token_invalid');
  });

  it.each(['unknown-kid', 'forged-kid'] as const)('an ID token signed by a key not in the JWKS (%s) is refused', async (idTokenKey) => {
    fake.misbehave = { idTokenKey };
    const { location, setCookie } = await attempt();
    await expectValidationError(client.handleCallback(callbackRequest(location.href, [setCookie])), 'id_token_invalid');
  });

  it('an ID token for another client (aud) is refused as id_token_invalid', async () => {
    fake.misbehave = { idTokenAud: 'someone-else.apps.googleusercontent.com' };
    const { location, setCookie } = await attempt();
    await expectValidationError(client.handleCallback(callbackRequest(location.href, [setCookie])), 'id_token_invalid');
  });

  it('an ID token from another issuer is refused', async () => {
    fake.misbehave = { idTokenIss: 'https://evil.example' };
    const { location, setCookie } = await attempt();
    await expectValidationError(client.handleCallback(callbackRequest(location.href, [setCookie])), ['id_token_invalid', 'iss_mismatch']);
  });
});

describe('OAuth errors are OAuthProviderError, not validation failures', () => {
  it('error=access_denied at the callback', async () => {
    fake.misbehave = { authorizationError: 'access_denied' };
    const { location, setCookie } = await attempt();
    expect(location.searchParams.get('error')).toBe('access_denied');
    const error = await failure(client.handleCallback(callbackRequest(location.href, [setCookie])));
    expect(error).toBeInstanceOf(OAuthProviderError);
    expect(error).toMatchObject({ error: 'access_denied', code: 'ERR_OAUTH_PROVIDER' });
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  it("the token endpoint's 400 invalid_grant", async () => {
    fake.misbehave = { tokenError: { status: 400, error: 'invalid_grant', error_description: 'Bad Request' } };
    const { location, setCookie } = await attempt();
    const error = await failure(client.handleCallback(callbackRequest(location.href, [setCookie])));
    expect(error).toBeInstanceOf(OAuthProviderError);
    expect(error).toMatchObject({ error: 'invalid_grant', errorDescription: 'Bad Request', status: 400 });
  });

  it('a replayed callback: the code is single-use, the provider answers invalid_grant', async () => {
    const { location, setCookie } = await attempt();
    await client.handleCallback(callbackRequest(location.href, [setCookie]));
    const error = await failure(client.handleCallback(callbackRequest(location.href, [setCookie])));
    expect(error).toBeInstanceOf(OAuthProviderError);
    expect(error).toMatchObject({ error: 'invalid_grant', status: 400 });
  });

  it('a wrong client secret: 401 invalid_client', async () => {
    const wrong = createOAuthClient({
      provider: google({ issuer: fake.issuer }),
      clientId: fake.clientId,
      clientSecret: 'not-the-secret',
      redirectUri: REDIRECT_URI,
      secret: SECRET,
      allowInsecureRequests: true,
    });
    const { location, setCookie } = await attempt(wrong);
    const error = await failure(wrong.handleCallback(callbackRequest(location.href, [setCookie])));
    expect(error).toBeInstanceOf(OAuthProviderError);
    expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
  });
});
