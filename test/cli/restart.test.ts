/**
 * Acceptance test of the foundation: a real `gatehouse start` on an empty data directory serves
 * discovery and JWKS, issues verifiable tokens to a client made with the CLI, introspects and
 * revokes them, and after SIGTERM and a restart on the same data directory still knows the client,
 * the keys and the revocation.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, postForm, runCliOk, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';

interface Metadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  grant_types_supported: string[];
}

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

let ws: Workspace;
let server: RunningServer;
let metadata: Metadata;
let client: { clientId: string; clientSecret: string };
let firstKids: string[];
/** Revoked before the restart. */
let revokedToken: string;
/** Issued before the restart and never revoked. */
let liveToken: string;

beforeAll(async () => {
  ws = createWorkspace();
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true });
});

afterAll(async () => {
  await killAll();
  ws?.remove();
});

async function discover(target: RunningServer): Promise<Metadata> {
  const response = await fetch(`${target.issuer}/.well-known/openid-configuration`);
  expect(response.status).toBe(200);
  return (await response.json()) as Metadata;
}

async function jwksKids(): Promise<string[]> {
  const response = await fetch(metadata.jwks_uri);
  expect(response.status).toBe(200);
  const jwks = (await response.json()) as { keys: { kid: string; d?: string; p?: string }[] };
  for (const key of jwks.keys) {
    expect(key.d).toBeUndefined(); // public keys only
    expect(key.p).toBeUndefined();
  }
  return jwks.keys.map((key) => key.kid).sort();
}

async function requestToken(): Promise<TokenResponse> {
  const response = await postForm(metadata.token_endpoint, { grant_type: 'client_credentials', scope: 'api:read' }, client);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as TokenResponse;
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await postForm(metadata.introspection_endpoint, { token }, client);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function verifyToken(token: string) {
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
  return jwtVerify(token, jwks, { issuer: metadata.issuer, typ: 'at+jwt' });
}

describe('gatehouse start, stop and start again on the same data directory', () => {
  it('serves discovery and JWKS on an empty data directory', async () => {
    metadata = await discover(server);
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata).toMatchObject({
      token_endpoint: `${server.issuer}/token`,
      jwks_uri: `${server.issuer}/jwks`,
      introspection_endpoint: `${server.issuer}/introspect`,
      revocation_endpoint: `${server.issuer}/revoke`,
    });
    expect(metadata.grant_types_supported).toContain('client_credentials');
    firstKids = await jwksKids();
    expect(firstKids).toHaveLength(2);
  });

  it('issues a client made with the CLI a JWT access token that verifies against the JWKS', async () => {
    const added = parseJson<{ client_id: string; client_secret: string }>(
      await runCliOk(['clients', 'add', '--name', 'Acceptance', '--grant', 'client_credentials', '--scope', 'api:read', '--json', '--data', ws.dataDir], {
        cwd: ws.cwd,
        dev: true,
      }),
    );
    client = { clientId: added.client_id, clientSecret: added.client_secret };

    const token = await requestToken();
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'api:read' });
    const { payload, protectedHeader } = await verifyToken(token.access_token);
    expect(protectedHeader).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(firstKids).toContain(protectedHeader.kid);
    expect(payload).toMatchObject({ iss: server.issuer, client_id: client.clientId, sub: client.clientId, scope: 'api:read' });
    expect(payload.exp! - payload.iat!).toBe(3600);
    revokedToken = token.access_token;
  });

  it('introspects the token as active, and as inactive once revoked', async () => {
    expect(await introspect(revokedToken)).toMatchObject({ active: true, client_id: client.clientId, scope: 'api:read', iss: server.issuer });

    const revoke = await postForm(metadata.revocation_endpoint, { token: revokedToken, token_type_hint: 'access_token' }, client);
    expect(revoke.status).toBe(200);
    expect(await introspect(revokedToken)).toEqual({ active: false });

    liveToken = (await requestToken()).access_token;
    expect(await introspect(liveToken)).toMatchObject({ active: true });
  });

  it('stops on SIGTERM with exit code 0', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    await expect(fetch(metadata.token_endpoint, { method: 'POST' })).rejects.toThrow();
  });

  it('after a restart keeps the client, the keys and the revocation', async () => {
    // Same port, so the issuer (http://127.0.0.1:<port>) and with it the tokens' `iss` stay the same.
    server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true, port: server.port });
    expect((await discover(server)).issuer).toBe(metadata.issuer);

    expect(await jwksKids()).toEqual(firstKids);
    // Tokens issued before the restart still verify against the published keys.
    await verifyToken(liveToken);

    const token = await requestToken();
    const { protectedHeader } = await verifyToken(token.access_token);
    expect(firstKids).toContain(protectedHeader.kid);

    expect(await introspect(revokedToken)).toEqual({ active: false });
    expect(await introspect(liveToken)).toMatchObject({ active: true, client_id: client.clientId });

    expect(await server.stop('SIGINT')).toBe(0);
  });
});
