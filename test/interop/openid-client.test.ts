/**
 * Interoperability with an independent client library: openid-client v6 (panva) against a real,
 * listening `gatehouse start`. It validates discovery (issuer match), the token response, and the
 * introspection response by itself, so this catches deviations our own client would share.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, runCliOk, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';

let ws: Workspace;
let server: RunningServer;

beforeAll(async () => {
  ws = createWorkspace();
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true });
});

afterAll(async () => {
  await killAll();
  ws?.remove();
});

async function addClient(authMethod: 'client_secret_basic' | 'client_secret_post'): Promise<{ clientId: string; clientSecret: string }> {
  const result = await runCliOk(
    [
      'clients',
      'add',
      '--name',
      `openid-client ${authMethod}`,
      '--grant',
      'client_credentials',
      '--scope',
      'api:read',
      '--auth-method',
      authMethod,
      '--json',
      '--data',
      ws.dataDir,
    ],
    { cwd: ws.cwd, dev: true },
  );
  const added = parseJson<{ client_id: string; client_secret: string; token_endpoint_auth_method: string }>(result);
  expect(added.token_endpoint_auth_method).toBe(authMethod);
  return { clientId: added.client_id, clientSecret: added.client_secret };
}

describe.each([
  { method: 'client_secret_basic' as const, auth: client.ClientSecretBasic },
  { method: 'client_secret_post' as const, auth: client.ClientSecretPost },
])('openid-client with $method', ({ method, auth }) => {
  it('discovers, gets a client_credentials token, introspects it, revokes it', async () => {
    const { clientId, clientSecret } = await addClient(method);
    // Plain http is fine here: the server listens on loopback only.
    const config = await client.discovery(new URL(server.issuer), clientId, clientSecret, auth(clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata.token_endpoint_auth_methods_supported).toContain(method);

    const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.scope).toBe('api:read');
    expect(tokens.expiresIn()).toBeGreaterThan(3500);
    expect(tokens.refresh_token).toBeUndefined(); // RFC 6749 §4.4.3

    const active = await client.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: clientId, scope: 'api:read', iss: server.issuer, token_type: 'Bearer' });

    await client.tokenRevocation(config, tokens.access_token);
    const revoked = await client.tokenIntrospection(config, tokens.access_token);
    expect(revoked.active).toBe(false);
  });

  it('is refused with a wrong secret as an OAuth invalid_client error', async () => {
    const { clientId } = await addClient(method);
    const wrong = 'A'.repeat(43);
    const config = await client.discovery(new URL(server.issuer), clientId, wrong, auth(wrong), { execute: [client.allowInsecureRequests] });
    const failure = await client.clientCredentialsGrant(config, { scope: 'api:read' }).catch((error: unknown) => error);
    // A 401 with a WWW-Authenticate challenge (RFC 6749 §5.2) surfaces as the challenge error.
    expect(failure).toBeInstanceOf(client.WWWAuthenticateChallengeError);
    const challenge = failure as client.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]).toMatchObject({ scheme: 'basic' });
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
  });
});
