/**
 * The cache of client metadata documents in front of the fetcher, against a real local server: it
 * honours max-age, Expires and no-store within its bounds, holds failures briefly without keeping
 * them as metadata, evicts the least recently used, and shares one fetch among concurrent lookups.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/helpers/fake-clock.js';
import { json, startDocumentServer, type DocumentServer } from '../../../test/helpers/document-server.js';
import { silentLogger } from '../../core/logger.js';
import { parseIpRanges } from '../protection/ip-ranges.js';
import { ClientDocumentError, ClientDocuments, freshnessLifetime, type ClientDocumentSettings } from './client-documents.js';

let server: DocumentServer;
beforeAll(async () => {
  server = await startDocumentServer('http');
});
afterAll(() => server.close());

let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});

const at = (path: string) => `${server.origin}${path}`;

function serve(path: string, headers: Record<string, string> = {}, body: Record<string, unknown> = {}): void {
  server.on(path, json({ client_id: at(path), redirect_uris: ['https://app.example/cb'], ...body }, headers));
}

function documents(overrides: Partial<ClientDocumentSettings> = {}): ClientDocuments {
  return new ClientDocuments(
    {
      minCacheSeconds: 60,
      maxCacheSeconds: 3600,
      failureCacheSeconds: 10,
      cacheEntries: 100,
      fetch: { timeoutMs: 2000, maxBytes: 5120, allowHttp: true, allowedAddresses: parseIpRanges(['127.0.0.1'], 'test') },
      scopes: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'],
      ...overrides,
    },
    clock,
    silentLogger(),
  );
}

const fetches = (path: string) => server.received.filter((request) => request.path === path).length;
const free = () => Promise.resolve();

describe('ClientDocuments: caching by HTTP cache headers', () => {
  it('keeps a document for its max-age, then fetches it again', async () => {
    serve('/max-age', { 'Cache-Control': 'public, max-age=120' });
    const cache = documents();
    expect((await cache.resolve(at('/max-age'), free)).clientId).toBe(at('/max-age'));
    clock.advance(119_000);
    await cache.resolve(at('/max-age'), free);
    expect(fetches('/max-age')).toBe(1);
    clock.advance(2000);
    await cache.resolve(at('/max-age'), free);
    expect(fetches('/max-age')).toBe(2);
  });

  it('never keeps a no-store document', async () => {
    serve('/no-store', { 'Cache-Control': 'no-store, max-age=600' });
    const cache = documents();
    await cache.resolve(at('/no-store'), free);
    await cache.resolve(at('/no-store'), free);
    expect(fetches('/no-store')).toBe(2);
  });

  it('clamps lifetimes to the minimum and the maximum', async () => {
    serve('/short', { 'Cache-Control': 'max-age=5' });
    serve('/long', { 'Cache-Control': 'max-age=999999' });
    const cache = documents();
    await Promise.all([cache.resolve(at('/short'), free), cache.resolve(at('/long'), free)]);
    clock.advance(30_000); // past max-age=5, within the 60 s minimum
    await cache.resolve(at('/short'), free);
    expect(fetches('/short')).toBe(1);
    clock.advance(3600_000); // past the one-hour maximum
    await cache.resolve(at('/long'), free);
    expect(fetches('/long')).toBe(2);
  });

  it('reads Expires against Date', () => {
    const date = 'Mon, 07 Dec 2026 12:00:00 GMT';
    expect(freshnessLifetime({ date, expires: 'Mon, 07 Dec 2026 12:05:00 GMT' }, 0)).toBe(300);
    expect(freshnessLifetime({ expires: 'not a date' }, 0)).toBe(0);
    expect(freshnessLifetime({ 'cache-control': 'no-cache' }, 0)).toBe(0);
    expect(freshnessLifetime({ 'cache-control': 'max-age=60', expires: 'Mon, 07 Dec 2026 12:05:00 GMT' }, 0)).toBe(60);
    expect(freshnessLifetime({}, 0)).toBeUndefined();
  });

  it('evicts the least recently used document beyond its size', async () => {
    for (const path of ['/lru-a', '/lru-b', '/lru-c']) serve(path, { 'Cache-Control': 'max-age=600' });
    const cache = documents({ cacheEntries: 2 });
    await cache.resolve(at('/lru-a'), free);
    await cache.resolve(at('/lru-b'), free);
    await cache.resolve(at('/lru-a'), free); // a is now the most recently used
    await cache.resolve(at('/lru-c'), free); // evicts b
    await cache.resolve(at('/lru-a'), free);
    await cache.resolve(at('/lru-b'), free);
    expect([fetches('/lru-a'), fetches('/lru-b'), fetches('/lru-c')]).toEqual([1, 2, 1]);
  });
});

describe('ClientDocuments: failures and concurrency', () => {
  it('holds a failure briefly (no fetch in a loop), keeps nothing of it, and fetches again after', async () => {
    server.on('/flaky', (_request, response) => response.writeHead(500).end());
    const cache = documents();
    for (let i = 0; i < 5; i += 1) {
      await expect(cache.resolve(at('/flaky'), free)).rejects.toMatchObject({ reason: 'bad_status' });
    }
    expect(fetches('/flaky')).toBe(1);
    serve('/flaky');
    clock.advance(10_000);
    expect((await cache.resolve(at('/flaky'), free)).clientId).toBe(at('/flaky'));
    expect(fetches('/flaky')).toBe(2);
  });

  it('refuses an invalid document and a malformed client identifier URL without echoing them', async () => {
    serve('/mismatch', {}, { client_id: at('/elsewhere') });
    const cache = documents();
    const error = await cache.resolve(at('/mismatch'), free).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ClientDocumentError);
    expect(error).toMatchObject({ reason: 'invalid_document' });
    expect((error as Error).message).not.toContain('elsewhere');
    await expect(cache.resolve(`${server.origin}/a/../b`, free)).rejects.toMatchObject({ reason: 'invalid_url' });
  });

  it('100 concurrent lookups of one URL share one fetch, and spend the limit once', async () => {
    serve('/shared');
    const cache = documents();
    let spent = 0;
    const lookups = Array.from({ length: 100 }, () =>
      cache.resolve(at('/shared'), async () => {
        spent += 1;
        await Promise.resolve();
      }),
    );
    const clients = await Promise.all(lookups);
    expect(new Set(clients).size).toBe(1);
    expect(fetches('/shared')).toBe(1);
    expect(spent).toBe(1);
  });

  it('a refused spend fetches nothing', async () => {
    serve('/limited');
    const cache = documents();
    const limited = new Error('limited');
    await expect(cache.resolve(at('/limited'), () => Promise.reject(limited))).rejects.toBe(limited);
    expect(fetches('/limited')).toBe(0);
  });
});
