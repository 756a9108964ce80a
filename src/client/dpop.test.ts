import { calculateJwkThumbprint, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { checkTokenBinding, createSessionKey, retryOnNonce, SessionDPoPHandles } from './dpop.js';
import { OAuthValidationError } from './errors.js';

const client: oauth.Client = { client_id: 'app' };
const bodyError = (error: string) => new oauth.ResponseBodyError('refused', { cause: { error }, response: new Response(null, { status: 400 }) });

describe('retryOnNonce (RFC 9449 §8, §9)', () => {
  it.each([
    ['use_dpop_nonce: retried once, and the retry answers', ['use_dpop_nonce'], 2, 'ok'],
    ['use_dpop_nonce twice: the second refusal is the error', ['use_dpop_nonce', 'use_dpop_nonce'], 2, 'use_dpop_nonce'],
    ['another error: not retried', ['invalid_dpop_proof'], 1, 'invalid_dpop_proof'],
  ])('%s', async (_label, refusals, attempts, outcome) => {
    const { handle } = await createSessionKey(client, 'ES256', true);
    let calls = 0;
    const result = await retryOnNonce(handle, async () => {
      const refusal = refusals[calls];
      calls += 1;
      if (refusal) throw bodyError(refusal);
      return 'ok';
    }).catch((error: unknown) => (error as oauth.ResponseBodyError).error);
    expect(calls).toBe(attempts);
    expect(result).toBe(outcome);
  });

  it('without DPoP, a use_dpop_nonce error is not retried', async () => {
    let calls = 0;
    await expect(
      retryOnNonce(undefined, () => {
        calls += 1;
        return Promise.reject(bodyError('use_dpop_nonce'));
      }),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });
});

describe('checkTokenBinding (RFC 9449 §5)', () => {
  it.each([
    ['DPoP, required', true, 'dpop', true],
    ['DPoP, optional', false, 'DPoP', true],
    ['Bearer, optional: kept as a bearer token', false, 'bearer', false],
  ])('%s', (_label, required, tokenType, bound) => {
    expect(checkTokenBinding(required, tokenType)).toBe(bound);
  });

  it('a bearer token where DPoP is required is a validation failure, never a silent fall-back', () => {
    expect(() => checkTokenBinding(true, 'bearer')).toThrow(OAuthValidationError);
    expect(() => checkTokenBinding(true, 'bearer')).toThrow(expect.objectContaining({ reason: 'dpop_not_bound' }));
  });
});

describe('session keys (RFC 9449 §2)', () => {
  it('in a store that keeps objects: a non-extractable private key, no JWK', async () => {
    const { key } = await createSessionKey(client, 'ES256', true);
    expect(key.jwk).toBeUndefined();
    expect(key.keyPair!.privateKey.extractable).toBe(false);
    expect(key.jkt).toBe(await calculateJwkThumbprint(await exportJWK(key.keyPair!.publicKey)));
  });

  it.each(['ES256', 'EdDSA', 'PS256', 'RS256'] as const)('where sessions are serialized: a private JWK (%s) the handle imports again', async (alg) => {
    const { key, handle } = await createSessionKey(client, alg, false);
    expect(key.keyPair).toBeUndefined();
    expect(key.jwk).toMatchObject({ alg, d: expect.any(String) });
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = key.jwk!;
    expect(key.jkt).toBe(await calculateJwkThumbprint(publicJwk));
    expect(await handle.calculateThumbprint()).toBe(key.jkt);
    // A session loaded later (another request, another instance): the same key, from the JWK.
    const loaded = await new SessionDPoPHandles(client).forSession({ id: 'session', dpop: JSON.parse(JSON.stringify(key)) as typeof key });
    expect(await loaded!.calculateThumbprint()).toBe(key.jkt);
  });

  it('handles are kept per session and key, and a session without a key has none', async () => {
    const handles = new SessionDPoPHandles(client);
    const first = await createSessionKey(client, 'ES256', true);
    const second = await createSessionKey(client, 'ES256', true);
    expect(await handles.forSession({ id: 'a' })).toBeUndefined();
    const handle = await handles.forSession({ id: 'a', dpop: first.key });
    expect(await handles.forSession({ id: 'a', dpop: first.key })).toBe(handle);
    // Another key under the same id (a session replaced): its own handle.
    expect(await (await handles.forSession({ id: 'a', dpop: second.key }))!.calculateThumbprint()).toBe(second.key.jkt);
  });
});
