import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { DEFAULT_HTTP_TIMEOUT_MS, fetchWithDeadline, httpTimeout } from './deadline-fetch.js';

/** A `fetch` that never answers: it settles only when its signal aborts, with the signal's reason. */
const silent: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error));
  });

describe('fetchWithDeadline', () => {
  it('aborts a request that gets no answer with a TimeoutError at its deadline', async () => {
    const started = Date.now();
    const error = await fetchWithDeadline(silent, 50)('https://as.example/token').catch((rejection: unknown) => rejection);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("keeps the caller's own signal: whichever aborts first wins", async () => {
    const caller = new AbortController();
    const pending = fetchWithDeadline(silent, 60_000)('https://as.example/token', { signal: caller.signal });
    caller.abort(new Error('the caller gave up'));
    await expect(pending).rejects.toThrow('the caller gave up');
  });

  it('passes the request through otherwise', async () => {
    const seen: RequestInit[] = [];
    const answer: typeof fetch = (_input, init) => {
      seen.push(init!);
      return Promise.resolve(new Response('ok'));
    };
    const response = await fetchWithDeadline(answer, 1000)('https://as.example/token', { method: 'POST', body: 'a=b' });
    expect(await response.text()).toBe('ok');
    expect(seen[0]).toMatchObject({ method: 'POST', body: 'a=b' });
    expect(seen[0]!.signal).toBeInstanceOf(AbortSignal);
  });
});

describe('httpTimeout', () => {
  it('defaults to 5 s and takes a positive whole number of milliseconds', () => {
    expect(DEFAULT_HTTP_TIMEOUT_MS).toBe(5000);
    expect(httpTimeout(undefined)).toBe(5000);
    expect(httpTimeout(250)).toBe(250);
  });

  it.each([0, -1, 1.5, Number.NaN, '5000', null])('refuses %j, naming the option', (value) => {
    expect(() => httpTimeout(value)).toThrow(ConfigError);
    expect(() => httpTimeout(value)).toThrow('option "timeoutMs" must be a positive whole number of milliseconds');
  });
});
