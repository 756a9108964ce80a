import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../helpers/server.js';

async function metadata(server: TestServer): Promise<Record<string, unknown>> {
  const response = await server.get(`${server.issuer}/.well-known/openid-configuration`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('discovery of the OpenID Provider (OpenID Connect Discovery §3, RFC 8414 §2)', () => {
  it('advertises the authorization, userinfo and end-session endpoints below the issuer', async () => {
    const server = await startServer();
    const meta = await metadata(server);
    expect(meta.authorization_endpoint).toBe(`${server.issuer}/authorize`);
    expect(meta.userinfo_endpoint).toBe(`${server.issuer}/userinfo`);
    expect(meta.end_session_endpoint).toBe(`${server.issuer}/logout`);
  });

  it('advertises code only, S256 only, iss in authorization responses, public subjects and the ID token algorithms', async () => {
    const meta = await metadata(await startServer());
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    expect(meta.subject_types_supported).toEqual(['public']);
    expect(meta.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256']));
    expect(meta.id_token_signing_alg_values_supported).not.toContain('none');
    expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'offline_access']));
  });

  it('every advertised endpoint answers (no 404), with the method it is meant for', async () => {
    const server = await startServer();
    const meta = await metadata(server);
    const endpoints = Object.entries(meta).filter(([name, value]) => (name.endsWith('_endpoint') || name === 'jwks_uri') && typeof value === 'string');
    expect(endpoints.map(([name]) => name).sort()).toEqual(
      [
        'authorization_endpoint',
        'device_authorization_endpoint',
        'end_session_endpoint',
        'introspection_endpoint',
        'jwks_uri',
        'pushed_authorization_request_endpoint',
        'revocation_endpoint',
        'token_endpoint',
        'userinfo_endpoint',
      ].sort(),
    );
    const expected: Record<string, { method: 'GET' | 'POST'; status: number }> = {
      // No parameters: an error page, not a redirect to nowhere.
      authorization_endpoint: { method: 'GET', status: 400 },
      // No token: a Bearer challenge.
      userinfo_endpoint: { method: 'GET', status: 401 },
      // Nobody signed in: the signed-out page.
      end_session_endpoint: { method: 'GET', status: 200 },
      jwks_uri: { method: 'GET', status: 200 },
      // No client authentication.
      token_endpoint: { method: 'POST', status: 401 },
      introspection_endpoint: { method: 'POST', status: 401 },
      revocation_endpoint: { method: 'POST', status: 401 },
      device_authorization_endpoint: { method: 'POST', status: 401 },
      pushed_authorization_request_endpoint: { method: 'POST', status: 401 },
    };
    for (const [name, url] of endpoints as [string, string][]) {
      expect(url.startsWith(`${server.issuer}/`), name).toBe(true);
      const { method, status } = expected[name]!;
      const response = method === 'GET' ? await server.get(url) : await server.post(url, { grant_type: 'authorization_code' });
      expect(response.status, name).toBe(status);
    }
  });

  it('serves the same endpoints below an issuer with a path', async () => {
    const server = await startServer({ issuer: 'https://id.example.com/tenant-a' });
    const meta = await metadata(server);
    expect(meta.authorization_endpoint).toBe('https://id.example.com/tenant-a/authorize');
    for (const name of ['authorization_endpoint', 'userinfo_endpoint', 'end_session_endpoint']) {
      const response = await server.get(meta[name] as string);
      expect(response.status, name).not.toBe(404);
    }
  });
});
