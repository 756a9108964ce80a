import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../core/errors.js';
import { makeClient } from '../../stores/contract-suite/records.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { RequestObjectContext } from './request-object.js';
import { verifyRequestObject } from './request-object.js';

const ISSUER = 'https://id.example';
const NOW = Date.UTC(2026, 0, 1);
const ctx = { clock: { now: () => NOW, sleep: async () => undefined }, config: { issuer: ISSUER } } as unknown as RequestObjectContext;
let key: CryptoKey;
let client: ClientRecord;

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  key = pair.privateKey;
  client = { ...makeClient({ clientId: 'app' }), jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k' }] } };
});

function sign(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(NOW / 1000);
  return new SignJWT({ iss: 'app', aud: ISSUER, iat: now, exp: now + 60, client_id: 'app', ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k' })
    .sign(key);
}

async function refusal(jws: string): Promise<string | undefined> {
  try {
    await verifyRequestObject(ctx, client, jws);
    return undefined;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return error.error;
  }
}

describe('verifyRequestObject (RFC 9101), as the authorization and PAR endpoints call it', () => {
  it('answers the parameters inside as request parameters: JSON values as JSON text, numbers as text, resource repeated; JWT claims left out', async () => {
    const params = await verifyRequestObject(
      ctx,
      client,
      await sign({ scope: 'openid', max_age: 0, claims: { id_token: { acr: { essential: true } } }, resource: ['https://a.example', 'https://b.example'] }),
    );
    expect(params.get('scope')).toBe('openid');
    expect(params.get('max_age')).toBe('0');
    expect(JSON.parse(params.get('claims')!)).toEqual({ id_token: { acr: { essential: true } } });
    expect(params.getAll('resource')).toEqual(['https://a.example', 'https://b.example']);
    expect(params.get('client_id')).toBe('app');
    for (const claim of ['iss', 'aud', 'exp', 'iat']) expect(params.get(claim)).toBeUndefined();
  });

  it.each([
    ['a nested request', { request: 'x' }],
    ['a request_uri inside', { request_uri: 'urn:ietf:params:oauth:request_uri:x' }],
    ['another client_id', { client_id: 'other' }],
    ['no client_id', { client_id: undefined }],
    ['an array where one value goes', { scope: ['openid'] }],
    ['no exp', { exp: undefined }],
  ])('refuses %s with invalid_request_object', async (_name, claims) => {
    expect(await refusal(await sign(claims))).toBe('invalid_request_object');
  });

  it('refuses a client without keys', async () => {
    const { jwks: _keys, ...withoutKeys } = client;
    await expect(verifyRequestObject(ctx, withoutKeys, await sign({}))).rejects.toThrow(/client keys are not available/);
  });
});
