import { afterEach, describe, expect, it, vi } from 'vitest';
import { SecretKeys } from '../../../src/core/secret.js';
import { KeyRing } from '../../../src/server/keys/signing-keys.js';
import {
  healthzResponse,
  metricsResponse,
  operatorMetricsResponse,
  readinessCheck,
  readyzResponse,
  type ReadinessChecks,
} from '../../../src/server/observability/endpoints.js';
import { createMetrics } from '../../../src/server/observability/metrics.js';
import { LOOPBACK_RANGES, parseIpRanges } from '../../../src/server/protection/ip-ranges.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { T0 } from '../../helpers/fake-clock.js';
import { SECRET } from '../../helpers/server.js';

const loadedKeys = { signingKey: () => ({}) as never };
const noKeys = {
  signingKey: (): never => {
    throw new Error('no active ES256 signing key');
  },
};
const never = (): Promise<never> => new Promise(() => undefined);

afterEach(() => {
  vi.useRealTimers();
});

describe('metricsResponse', () => {
  it('answers the registry in the Prometheus text format, uncached', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.refreshReuse.inc();
    const response = await metricsResponse(metrics);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    expect(text).toContain('# HELP gatehouse_refresh_token_reuse_total');
    expect(text).toContain('gatehouse_refresh_token_reuse_total 1');
  });
});

describe('operatorMetricsResponse', () => {
  const request = new Request('http://localhost:3000/metrics');

  it('serves the metrics to an address in the operator allow-list', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const allowList = parseIpRanges([...LOOPBACK_RANGES, '10.1.0.0/16'], 'protection.operatorAllowList');
    for (const ip of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3']) {
      const response = await operatorMetricsResponse(metrics, allowList, ip, request);
      expect(response.status, ip).toBe(200);
      expect(await response.text()).toContain('gatehouse_http_requests_total');
    }
  });

  it('answers everyone else (and an unknown address) as if there were no such endpoint', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const allowList = parseIpRanges(LOOPBACK_RANGES, 'protection.operatorAllowList');
    for (const ip of ['203.0.113.9', '10.1.2.3', null, undefined]) {
      const response = await operatorMetricsResponse(metrics, allowList, ip, request);
      expect(response.status, String(ip)).toBe(404);
      const text = await response.text();
      expect(text).not.toContain('gatehouse_');
      expect(JSON.parse(text)).toEqual({ error: 'invalid_request', error_description: 'no endpoint at this path' });
    }
  });
});

describe('healthzResponse', () => {
  it('answers 200 { status: ok }, uncached', async () => {
    const response = healthzResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('readyzResponse', () => {
  const body = async (response: Response) => (await response.json()) as { status: string; checks: ReadinessChecks };

  it('answers 200 when the store is reachable and keys are loaded', async () => {
    const response = await readyzResponse(readinessCheck(createMemoryStore(), loadedKeys));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await body(response)).toEqual({ status: 'ok', checks: { store: true, keys: true } });
  });

  it('answers 503 with store: false when ping rejects', async () => {
    const store = { ping: () => Promise.reject(new Error('ECONNREFUSED')) };
    const response = await readyzResponse(readinessCheck(store, loadedKeys));
    expect(response.status).toBe(503);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await body(response)).toEqual({ status: 'unavailable', checks: { store: false, keys: true } });
  });

  it('answers 503 with store: false when ping throws synchronously', async () => {
    const store = {
      ping: (): Promise<void> => {
        throw new Error('pool closed');
      },
    };
    const response = await readyzResponse(readinessCheck(store, loadedKeys));
    expect(await body(response)).toEqual({ status: 'unavailable', checks: { store: false, keys: true } });
  });

  it('answers 503 with store: false after 1 s when ping hangs', async () => {
    vi.useFakeTimers();
    let settled = false;
    const pending = readyzResponse(readinessCheck({ ping: never }, loadedKeys)).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const response = await pending;
    expect(response.status).toBe(503);
    expect(await body(response)).toEqual({ status: 'unavailable', checks: { store: false, keys: true } });
  });

  it('answers 503 with keys: false before the signing keys are loaded', async () => {
    const response = await readyzResponse(readinessCheck(createMemoryStore(), noKeys));
    expect(response.status).toBe(503);
    expect(await body(response)).toEqual({ status: 'unavailable', checks: { store: true, keys: false } });
  });

  it('reads a real KeyRing: not ready until load(), ready after', async () => {
    const store = createMemoryStore();
    const keyRing = new KeyRing(store, new SecretKeys(SECRET), 60_000);
    const check = readinessCheck(store, keyRing);
    expect(await check()).toEqual({ store: true, keys: false });
    await keyRing.load(T0);
    expect(await check()).toEqual({ store: true, keys: true });
  });

  it('never throws: a check that rejects counts as every check failed', async () => {
    const response = await readyzResponse(() => Promise.reject(new Error('bug')));
    expect(response.status).toBe(503);
    expect(await body(response)).toEqual({ status: 'unavailable', checks: { store: false, keys: false } });
    const thrown = await readyzResponse((): Promise<ReadinessChecks> => {
      throw new Error('bug');
    });
    expect(thrown.status).toBe(503);
  });

  it('never hangs: a check that never settles fails at the backstop timeout', async () => {
    const response = await readyzResponse(never, { timeoutMs: 20 });
    expect(response.status).toBe(503);
    expect(await body(response)).toEqual({ status: 'unavailable', checks: { store: false, keys: false } });
  });
});
