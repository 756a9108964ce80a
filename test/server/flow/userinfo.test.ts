import { beforeAll, describe, expect, it } from 'vitest';
import { asTestClient, signIn, startFlow, testUsers, type Flow, type Tokens } from '../../helpers/flow.js';
import { basic } from '../../helpers/server.js';

beforeAll(async () => {
  await testUsers();
});

/** Alice signed in with `scope`; the tokens of the code exchange. */
async function signedIn(scope = 'openid profile email'): Promise<Flow & { tokens: Tokens }> {
  const flow = await startFlow();
  return { ...flow, tokens: await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope }) };
}

function bearer(token: string): { headers: Record<string, string> } {
  return { headers: { Authorization: `Bearer ${token}` } };
}

describe('UserInfo endpoint (OIDC Core §5.3, RFC 6750)', () => {
  it('answers GET with the Authorization header: the user claims, uncacheable', async () => {
    const { server, tokens, users } = await signedIn();
    const response = await server.get('/userinfo', bearer(tokens.access_token));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({
      sub: users.alice.record.id,
      name: 'Alice Liddell',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
    });
  });

  it('answers POST with the Authorization header and no body', async () => {
    const { server, tokens, users } = await signedIn();
    const response = await server.server.fetch(new Request(`${server.issuer}/userinfo`, { method: 'POST', ...bearer(tokens.access_token) }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { sub: string }).sub).toBe(users.alice.record.id);
  });

  it('answers POST with the token in a form-encoded access_token body parameter (RFC 6750 §2.2)', async () => {
    const { server, tokens, users } = await signedIn();
    const response = await server.post('/userinfo', { access_token: tokens.access_token });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { sub: string }).sub).toBe(users.alice.record.id);
  });

  it('without a token answers 401 with a Bearer challenge carrying no error code (RFC 6750 §3.1)', async () => {
    const { server } = await signedIn();
    for (const response of [await server.get('/userinfo'), await server.post('/userinfo', {})]) {
      expect(response.status).toBe(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      // RFC 9449 §7.1: the DPoP scheme is offered beside Bearer, neither with an error.
      expect(challenge).toMatch(/^Bearer realm="[^"]+", DPoP realm="[^"]+", algs="[^"]+"$/);
      expect(challenge).not.toContain('error');
    }
  });

  it('with an invalid token answers 401 with error="invalid_token" (RFC 6750 §3.1)', async () => {
    const { server, tokens } = await signedIn();
    const [header, payload] = tokens.access_token.split('.');
    for (const token of ['not-a-jwt', `${header}.${payload}.AAAA`, tokens.id_token!]) {
      const response = await server.get('/userinfo', bearer(token));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
      expect(await response.text()).not.toContain('alice');
    }
  });

  it('answers 401 for a token naming a genuine jti whose bytes are not the token issued', async () => {
    const { server, tokens } = await signedIn('openid');
    const [header, payload, signature] = tokens.access_token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'openid profile email' })).toString('base64url');
    const flipped = `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;
    for (const token of [`${header}.${widened}.${signature}`, `${header}.${payload}.${flipped}`]) {
      const response = await server.get('/userinfo', bearer(token));
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain('alice');
    }
    expect((await server.get('/userinfo', bearer(tokens.access_token))).status).toBe(200);
  });

  it('answers 401 invalid_token once the access token expired', async () => {
    const { server, tokens } = await signedIn();
    server.clock.advance(3601_000);
    const response = await server.get('/userinfo', bearer(tokens.access_token));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses a token without openid (a client_credentials token) with 403 insufficient_scope (RFC 6750 §3.1)', async () => {
    const { server } = await signedIn();
    const service = await server.register({ name: 'Service', scope: 'read' });
    const token = await server.issueToken(service, { scope: 'read' });
    const response = await server.get('/userinfo', bearer(token));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('refuses a plain OAuth user token (no openid scope) with 403 insufficient_scope', async () => {
    const flow = await startFlow({}, { scope: 'openid api:read' });
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'api:read' });
    const response = await flow.server.get('/userinfo', bearer(tokens.access_token));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('refuses the token in the header and in the body at once with 400 (RFC 6750 §2)', async () => {
    const { server, tokens } = await signedIn();
    const response = await server.post('/userinfo', { access_token: tokens.access_token }, bearer(tokens.access_token));
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('answers 401 for a revoked access token', async () => {
    const { server, tokens, client } = await signedIn();
    expect((await server.get('/userinfo', bearer(tokens.access_token))).status).toBe(200);
    const revoked = await server.post(
      '/revoke',
      { token: tokens.access_token },
      { headers: { Authorization: basic(client.clientId, asTestClient(client).clientSecret) } },
    );
    expect(revoked.status).toBe(200);
    const response = await server.get('/userinfo', bearer(tokens.access_token));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 401 once the user is disabled', async () => {
    const { server, tokens, users } = await signedIn();
    const user = (await server.store.users.get(users.alice.record.id))!;
    await server.store.users.update({ ...user, disabled: true });
    expect((await server.get('/userinfo', bearer(tokens.access_token))).status).toBe(401);
  });

  it('releases only the claims of the token scopes (OIDC Core §5.4)', async () => {
    const { server, tokens, users } = await signedIn('openid email');
    const claims = (await (await server.get('/userinfo', bearer(tokens.access_token))).json()) as Record<string, unknown>;
    expect(claims).toEqual({ sub: users.alice.record.id, email: 'alice@example.com', email_verified: true });
    const bare = await signedIn('openid');
    expect(await (await bare.server.get('/userinfo', bearer(bare.tokens.access_token))).json()).toEqual({ sub: bare.users.alice.record.id });
  });
});
