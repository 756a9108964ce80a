/**
 * The resource guard verifying JWT access tokens (RFC 9068) from a real Gatehouse server over
 * HTTP: claims, expiry and leeway, audience, issuer, algorithm and `typ` checks, and scopes.
 */
import { createPublicKey } from 'node:crypto';
import { base64url, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResourceGuard, type ResourceGuardOptions } from '../../src/resource/index.js';
import { createAuthorizationServer } from '../../src/server/authorization-server.js';
import { basic, encodeForm, SECRET } from '../helpers/server.js';
import { answer, API, countingFetch, expectBearerError, partsOf, resign, sign, SystemClock, startIssuer, type RunningIssuer } from './support.js';

let as: RunningIssuer;

beforeAll(async () => {
  as = await startIssuer();
});

afterAll(async () => {
  await as?.close();
});

/** A JWT-mode guard for {@link API} on the running issuer, with a counting fetch. */
function jwtGuard(options: Partial<ResourceGuardOptions> = {}) {
  const net = countingFetch();
  const guard = createResourceGuard({ issuer: as.issuer, audience: API, fetch: net.fetch, allowInsecureRequests: true, ...options });
  return { guard, net };
}

describe('a valid access token', () => {
  it('authenticates with sub, client id and scopes, and a second verification makes no network request', async () => {
    const { guard, net } = jwtGuard();
    const token = await as.token('notes:read');
    const verified = await guard.verify(token);
    expect(verified.sub).toBe(as.machine.clientId);
    expect(verified.clientId).toBe(as.machine.clientId);
    expect(verified.scopes).toEqual(['notes:read']);
    expect(verified.expiresAt).toBe(partsOf(token).claims.exp);
    expect(verified.claims.aud).toBe(API);
    expect(net.count('/jwks')).toBe(1);

    const requestsSoFar = net.urls.length;
    const another = await as.token('notes:read notes:write');
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    expect((await guard.verify(another)).scopes).toEqual(['notes:read', 'notes:write']);
    const response = await answer(guard, another, { scopes: ['notes:write'] });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: as.machine.clientId });
    expect(net.urls.length).toBe(requestsSoFar);
  });

  it('accepts the full media type application/at+jwt (RFC 9068 §4)', async () => {
    const { guard } = jwtGuard();
    const token = await resign(as, await as.token('notes:read'), { header: { typ: 'application/at+jwt' } });
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
  });
});

describe('expiry (RFC 9068 §4, RFC 7519 §4.1.4)', () => {
  it('refuses an expired token with 401 invalid_token and an RFC 6750 challenge', async () => {
    const token = await as.token('notes:read');
    const { exp } = partsOf(token).claims as { exp: number };
    // eslint-disable-next-line prefer-const -- now() below reads it before the assignment further down
    let at: number | undefined;
    const { guard } = jwtGuard({ now: () => at ?? Date.now() });
    expect((await answer(guard, token)).status).toBe(200);

    at = (exp + 31) * 1000; // past exp plus the default 30 s tolerance
    const response = await answer(guard, token);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token", error_description="the access token expired"');
    expect((await expectBearerError(response, 401, 'invalid_token')).error_description).toMatch(/expired/);
  });

  it('keeps a small leeway: 10 s past exp is accepted with the default 30 s tolerance, not with none', async () => {
    const token = await as.token('notes:read');
    const { exp } = partsOf(token).claims as { exp: number };
    const now = () => (exp + 10) * 1000;
    expect((await jwtGuard({ now }).guard.verify(token)).sub).toBe(as.machine.clientId);
    await expectBearerError(await answer(jwtGuard({ now, clockTolerance: 0 }).guard, token), 401, 'invalid_token');
  });

  it('refuses a token that is not valid yet (nbf beyond the tolerance)', async () => {
    const token = await as.token('notes:read');
    const { iat } = partsOf(token).claims as { iat: number };
    const forged = await resign(as, token, { claims: { nbf: iat + 120 } });
    await expectBearerError(await answer(jwtGuard().guard, forged), 401, 'invalid_token');
  });
});

describe('audience and issuer', () => {
  it('refuses a token for the default audience (the issuer) when the guard protects another API', async () => {
    const { guard } = jwtGuard();
    const token = await as.token('notes:read', { resource: null });
    expect(partsOf(token).claims.aud).toBe(as.issuer);
    const body = await expectBearerError(await answer(guard, token), 401, 'invalid_token');
    expect(body.error_description).toMatch(/aud/);
  });

  it('accepts a token for any one of the audiences the guard lists', async () => {
    const { guard } = jwtGuard({ audience: ['https://other.example', API] });
    expect((await guard.verify(await as.token('notes:read'))).sub).toBe(as.machine.clientId);
  });

  it('refuses a token from another issuer, even one signed with a key the JWKS publishes', async () => {
    // A second Gatehouse tenant on the same store: same keys, same clients, another issuer.
    const otherIssuer = `${as.issuer}/tenant-b`;
    const other = createAuthorizationServer({ issuer: otherIssuer, store: as.test.store, secret: SECRET, logger: false, clock: new SystemClock() });
    await other.ready();
    try {
      const response = await other.fetch(
        new Request(`${otherIssuer}/token`, {
          method: 'POST',
          headers: { Authorization: basic(as.machine.clientId, as.machine.clientSecret), 'Content-Type': 'application/x-www-form-urlencoded' },
          body: encodeForm({ grant_type: 'client_credentials', scope: 'notes:read', resource: API }),
        }),
      );
      const { access_token: token } = (await response.json()) as { access_token: string };
      const { header, claims } = partsOf(token);
      expect(claims.iss).toBe(otherIssuer);
      const published = (await (await fetch(`${as.issuer}/jwks`)).json()) as { keys: JWK[] };
      expect(published.keys.map((key) => key.kid)).toContain(header.kid);

      const body = await expectBearerError(await answer(jwtGuard().guard, token), 401, 'invalid_token');
      expect(body.error_description).toMatch(/iss/);
    } finally {
      await other.close();
    }
  });

  it('refuses genuine claims re-signed with another iss', async () => {
    const forged = await resign(as, await as.token('notes:read'), { claims: { iss: 'https://evil.example' } });
    await expectBearerError(await answer(jwtGuard().guard, forged), 401, 'invalid_token');
  });
});

describe('algorithms (RFC 8725 §3.1, §3.2)', () => {
  it('refuses an unsigned token (alg none) with otherwise valid claims', async () => {
    const { guard } = jwtGuard();
    const token = await as.token('notes:read');
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    const { header, claims } = partsOf(token);
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${encode({ ...header, alg })}.${encode(claims)}.`;
      await expectBearerError(await answer(guard, unsigned), 401, 'invalid_token');
    }
  });

  it('refuses HS256 tokens whose HMAC secret is the public key of a published key (algorithm confusion)', async () => {
    const { guard } = jwtGuard();
    const token = await as.token('notes:read');
    const { claims } = partsOf(token);
    const published = ((await (await fetch(`${as.issuer}/jwks`)).json()) as { keys: JWK[] }).keys;
    expect(published.map((key) => key.kty).sort()).toEqual(['EC', 'RSA']);
    for (const jwk of published) {
      const spki = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      const secrets = [
        spki.export({ type: 'spki', format: 'pem' }) as string,
        spki.export({ type: 'spki', format: 'der' }),
        JSON.stringify(jwk),
        ...(jwk.x ? [base64url.decode(jwk.x)] : []),
        ...(jwk.n ? [base64url.decode(jwk.n)] : []),
      ];
      for (const secret of secrets) {
        const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
        for (const alg of ['HS256', 'HS384', 'HS512']) {
          const forged = await sign({ alg, typ: 'at+jwt', kid: jwk.kid! }, claims, key);
          const body = await expectBearerError(await answer(guard, forged), 401, 'invalid_token');
          expect(body.error_description, `${alg} with ${jwk.kty} key material`).toMatch(/algorithm/);
        }
      }
    }
  });

  it('honours the algorithms option: an RS256-only guard refuses the ES256 tokens Gatehouse signs by default', async () => {
    const token = await as.token('notes:read');
    expect(partsOf(token).header.alg).toBe('ES256');
    await expectBearerError(await answer(jwtGuard({ algorithms: ['RS256'] }).guard, token), 401, 'invalid_token');
    expect((await jwtGuard({ algorithms: ['ES256'] }).guard.verify(token)).sub).toBe(as.machine.clientId);
  });
});

describe('token type (RFC 9068 §2.1, §4)', () => {
  it.each([
    ['typ JWT (e.g. an ID token)', { typ: 'JWT' }],
    ['no typ', { typ: undefined }],
    ['typ application/jwt', { typ: 'application/jwt' }],
    ['typ dpop+jwt', { typ: 'dpop+jwt' }],
  ])('refuses a correctly signed token with %s', async (_name, header) => {
    const forged = await resign(as, await as.token('notes:read'), { header });
    const body = await expectBearerError(await answer(jwtGuard().guard, forged), 401, 'invalid_token');
    expect(body.error_description).toMatch(/typ/);
  });

  it.each(['sub', 'client_id', 'jti', 'iat', 'exp'])('refuses a token without the required claim %s (RFC 9068 §2.2)', async (claim) => {
    const forged = await resign(as, await as.token('notes:read'), { claims: { [claim]: undefined } });
    await expectBearerError(await answer(jwtGuard().guard, forged), 401, 'invalid_token');
  });

  it('refuses a token whose signature does not match its claims', async () => {
    const token = await as.token('notes:read');
    const [header, , signature] = token.split('.');
    const widened = base64url.encode(JSON.stringify({ ...partsOf(token).claims, scope: 'notes:read notes:write admin' }));
    const body = await expectBearerError(await answer(jwtGuard().guard, `${header}.${widened}.${signature}`), 401, 'invalid_token');
    expect(body.error_description).toMatch(/signature/);
  });
});

describe('scopes (RFC 6750 §3.1)', () => {
  it('answers 403 insufficient_scope naming the scope the route needs', async () => {
    const { guard } = jwtGuard();
    const token = await as.token('notes:read');
    const response = await answer(guard, token, { scopes: ['notes:write'] });
    await expectBearerError(response.clone(), 403, 'insufficient_scope');
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="api", error="insufficient_scope", error_description="[^"]+", scope="notes:write"$/,
    );
    await expect(guard.verify(token, { scopes: ['notes:write'] })).rejects.toMatchObject({ status: 403, error: 'insufficient_scope', scope: ['notes:write'] });
    expect((await guard.verify(token, { scopes: ['notes:read'] })).scopes).toEqual(['notes:read']);
  });

  it('applies requiredScopes to every call, on top of the per-route scopes', async () => {
    const { guard } = jwtGuard({ requiredScopes: ['notes:write'] });
    const readOnly = await as.token('notes:read');
    const response = await answer(guard, readOnly);
    await expectBearerError(response.clone(), 403, 'insufficient_scope');
    expect(response.headers.get('www-authenticate')).toMatch(/, scope="notes:write"$/);
    expect((await guard.verify(await as.token('notes:read notes:write'))).scopes).toEqual(['notes:read', 'notes:write']);

    const both = jwtGuard({ requiredScopes: ['notes:read'] }).guard;
    const denied = await answer(both, readOnly, { scopes: ['notes:write'] });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toMatch(/, scope="notes:read notes:write"$/);
  });

  it('matches scope tokens exactly, not by prefix', async () => {
    const reader = await as.test.register({ name: 'Reader', grantTypes: ['client_credentials'], scope: 'notes:reader notes:read:all', resources: [API] });
    const token = await as.token('notes:reader notes:read:all', { client: reader });
    await expectBearerError(await answer(jwtGuard().guard, token, { scopes: ['notes:read'] }), 403, 'insufficient_scope');
  });

  it('refuses a token without any scope when a scope is required', async () => {
    const scopeless = await as.test.register({ name: 'Scopeless', grantTypes: ['client_credentials'], scope: '', resources: [API] });
    const token = await as.token('', { client: scopeless });
    expect(partsOf(token).claims.scope).toBeUndefined();
    expect((await jwtGuard().guard.verify(token)).scopes).toEqual([]);
    await expectBearerError(await answer(jwtGuard().guard, token, { scopes: ['notes:read'] }), 403, 'insufficient_scope');
  });
});
