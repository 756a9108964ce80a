/**
 * How the guard reads the bearer token from a request (RFC 6750 §2) and answers when it cannot
 * (§3): a bare challenge without credentials, 400 for a malformed header, never the query string.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResourceGuard, type ResourceGuard } from '../../src/resource/index.js';
import { basic } from '../helpers/server.js';
import { API, countingFetch, expectBearerError, startIssuer, type RunningIssuer } from './support.js';

let as: RunningIssuer;
let guard: ResourceGuard;
let token: string;

beforeAll(async () => {
  as = await startIssuer();
  guard = createResourceGuard({ issuer: as.issuer, audience: API, fetch: countingFetch().fetch, allowInsecureRequests: true });
  token = await as.token('notes:read');
});

afterAll(async () => {
  await as?.close();
});

async function checkWith(headers: Record<string, string>, url = `${API}/notes`) {
  const result = await guard.check(new Request(url, { headers }));
  return result.response ?? Response.json({ sub: result.token.sub });
}

describe('the Authorization header (RFC 6750 §2.1)', () => {
  it('accepts "Bearer <token>", with the scheme in any case (RFC 9110 §11.1)', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const response = await checkWith({ Authorization: `${scheme} ${token}` });
      expect(response.status, scheme).toBe(200);
      expect(await response.json()).toEqual({ sub: as.machine.clientId });
    }
  });

  it('answers a request without credentials with 401 and a bare challenge: no error attribute (§3.1)', async () => {
    const response = await checkWith({});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(await response.text()).toBe('');
    await expect(guard.authenticate(new Request(API))).rejects.toMatchObject({ status: 401, error: undefined });
  });

  it('uses the configured realm in the challenge', async () => {
    const notes = createResourceGuard({ issuer: as.issuer, audience: API, realm: 'notes', allowInsecureRequests: true });
    const result = await notes.check(new Request(API));
    expect(result.response?.headers.get('www-authenticate')).toBe('Bearer realm="notes"');
  });

  it('answers 400 invalid_request for another scheme (Basic)', async () => {
    const response = await checkWith({ Authorization: basic(as.machine.clientId, as.machine.clientSecret) });
    await expectBearerError(response, 400, 'invalid_request');
  });

  it.each([
    ['no token', 'Bearer'],
    ['an empty token', 'Bearer '],
    ['two tokens', `Bearer ${'a'.repeat(20)} ${'b'.repeat(20)}`],
    ['a comma', 'Bearer abc,def'],
    ['a quoted token', 'Bearer "abc"'],
    ['a token with padding in the middle', 'Bearer ab=cd'],
    ['no space after the scheme', 'Bearerabc'],
  ])('answers 400 invalid_request for a malformed Bearer header: %s', async (_name, header) => {
    await expectBearerError(await checkWith({ Authorization: header }), 400, 'invalid_request');
  });

  it('does not read the token from the query string (§2.3; RFC 9700 §4.3.2)', async () => {
    const response = await checkWith({}, `${API}/notes?access_token=${encodeURIComponent(token)}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('does not read the token from a form body (§2.2)', async () => {
    const result = await guard.check(
      new Request(`${API}/notes`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ access_token: token }),
      }),
    );
    expect(result.response?.status).toBe(401);
    expect(result.response?.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('answers 401 invalid_token for a well-formed header carrying something that is not a JWT', async () => {
    await expectBearerError(await checkWith({ Authorization: 'Bearer not-a-jwt' }), 401, 'invalid_token');
  });
});

describe('protect()', () => {
  it('runs the handler only for a request with a valid token', async () => {
    const seen: string[] = [];
    const handler = guard.protect(
      (_request, verified) => {
        seen.push(verified.sub!);
        return new Response('notes');
      },
      { scopes: ['notes:read'] },
    );
    expect((await handler(new Request(API))).status).toBe(401);
    expect((await handler(new Request(API, { headers: { Authorization: 'Bearer not-a-jwt' } }))).status).toBe(401);
    expect(seen).toEqual([]);
    const ok = await handler(new Request(API, { headers: { Authorization: `Bearer ${token}` } }));
    expect(await ok.text()).toBe('notes');
    expect(seen).toEqual([as.machine.clientId]);
  });
});
