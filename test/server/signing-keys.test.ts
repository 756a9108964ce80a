import { decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rotateSigningKeys } from '../../src/server/keys/signing-keys.js';
import { ISSUER, startServer } from '../helpers/server.js';

/** Retired keys stay published for the token lifetime plus this leeway (authorization-server.ts). */
const RETENTION_LEEWAY_MS = 5 * 60_000;
/** Default lifetime of access (and ID) tokens. */
const DEFAULT_TTL_MS = 3_600_000;

function kids(jwks: { keys: { kid?: string }[] }): string[] {
  return jwks.keys.map((key) => key.kid!);
}

describe('signing key rotation', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a new server instance signs with the new key, and keeps publishing the old one so earlier tokens stay valid', async () => {
    const before = await startServer();
    const client = await before.register();
    const oldToken = await before.issueToken(client);
    const oldKid = decodeProtectedHeader(oldToken).kid!;

    const fresh = await rotateSigningKeys(before.store, before.secretKeys, before.clock.now());
    const newKid = fresh.find((key) => key.alg === 'ES256')!.kid;
    expect(newKid).not.toBe(oldKid);

    const after = await startServer({ store: before.store, clock: before.clock });
    const newToken = await after.issueToken(client);
    expect(decodeProtectedHeader(newToken)).toMatchObject({ alg: 'ES256', kid: newKid });

    const published = kids(await after.jwks());
    expect(published).toContain(oldKid);
    expect(published).toContain(newKid);
    for (const key of fresh) expect(published).toContain(key.kid);

    // The old token still verifies against the published JWKS and still introspects active.
    await expect(after.verify(oldToken)).resolves.toMatchObject({ payload: { iss: ISSUER } });
    expect((await after.introspect(client, oldToken)).active).toBe(true);
    expect((await after.introspect(client, newToken)).active).toBe(true);
  });

  it('rotates the RS256 key too', async () => {
    const before = await startServer({ tokens: { accessTokenSigningAlg: 'RS256' } });
    const client = await before.register();
    const oldToken = await before.issueToken(client);
    const fresh = await rotateSigningKeys(before.store, before.secretKeys, before.clock.now());
    const after = await startServer({ store: before.store, clock: before.clock, tokens: { accessTokenSigningAlg: 'RS256' } });
    const newToken = await after.issueToken(client);
    expect(decodeProtectedHeader(newToken)).toMatchObject({ alg: 'RS256', kid: fresh.find((key) => key.alg === 'RS256')!.kid });
    expect((await after.introspect(client, oldToken)).active).toBe(true);
  });

  it('publishes a retired key for the token lifetime plus leeway, then stops', async () => {
    // Default lifetimes: every token type lives at most an hour, so retention is 1 h + leeway.
    const before = await startServer();
    const client = await before.register();
    const oldKid = decodeProtectedHeader(await before.issueToken(client)).kid!;
    await rotateSigningKeys(before.store, before.secretKeys, before.clock.now());

    before.clock.advance(DEFAULT_TTL_MS + RETENTION_LEEWAY_MS - 1_000);
    const stillPublished = await startServer({ store: before.store, clock: before.clock });
    expect(kids(await stillPublished.jwks())).toContain(oldKid);

    before.clock.advance(2_000);
    const pruned = await startServer({ store: before.store, clock: before.clock });
    const published = kids(await pruned.jwks());
    expect(published).not.toContain(oldKid);
    // Never an empty JWKS: the active keys are always there.
    expect(published.length).toBeGreaterThanOrEqual(2);
  });

  it('a running server picks up keys rotated by another process at its refresh interval', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const server = await startServer({ keys: { refreshInterval: 30 } });
    const client = await server.register();
    const fresh = await rotateSigningKeys(server.store, server.secretKeys, server.clock.now());
    const newKid = fresh.find((key) => key.alg === 'ES256')!.kid;
    expect(decodeProtectedHeader(await server.issueToken(client)).kid).not.toBe(newKid);

    await vi.advanceTimersByTimeAsync(30_000);
    // The refresh decrypts keys asynchronously; give it a few turns of the event loop.
    for (let i = 0; i < 50 && !kids(await server.jwks()).includes(newKid); i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(kids(await server.jwks())).toContain(newKid);
    expect(decodeProtectedHeader(await server.issueToken(client)).kid).toBe(newKid);
    await server.server.close();
  });

  it('keeps private keys encrypted at rest in the store', async () => {
    const server = await startServer({ seedKeys: false });
    for (const record of await server.store.keys.list()) {
      expect(record.publicJwk).not.toHaveProperty('d');
      expect(record.encryptedPrivateJwk).not.toContain('"d"');
      expect(() => JSON.parse(record.encryptedPrivateJwk) as unknown).toThrow();
    }
  });

  it('a server with a different installation secret refuses to start instead of serving unreadable keys', async () => {
    const first = await startServer();
    const promise = startServer({ store: first.store, clock: first.clock, secret: 'z'.repeat(40) });
    await expect(promise).rejects.toThrow(/secret/i);
  });
});
