import { describe, expect, it } from 'vitest';
import { createMetrics, METRIC_PREFIX } from '../../../src/server/observability/metrics.js';

/** The value of one sample line (`name{labels} value`) in the exposition text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics', () => {
  it('counts and renders every counter in the Prometheus text format, with typed labels', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.httpRequests.inc({ route: '/token', method: 'POST', status: '200' });
    metrics.tokensIssued.inc({ grant_type: 'authorization_code' });
    metrics.tokensIssued.inc({ grant_type: 'authorization_code' });
    metrics.tokensIssued.inc({ grant_type: 'client_credentials' });
    metrics.signInFailures.inc({ reason: 'bad_credentials' });
    metrics.mfaOutcomes.inc({ method: 'totp', outcome: 'failure' });
    metrics.mfaOutcomes.inc({ method: 'webauthn', outcome: 'success' });
    metrics.rateLimitHits.inc({ limiter: 'mfa_code' });
    metrics.refreshReuse.inc();
    metrics.auditEventsDropped.inc();
    metrics.storeUnavailable.inc();
    metrics.clientAborts.inc();
    metrics.clientAborts.inc();

    const text = await metrics.registry.metrics();
    expect(text).toContain('# TYPE gatehouse_http_requests_total counter');
    expect(sample(text, 'gatehouse_http_requests_total{route="/token",method="POST",status="200"}')).toBe(1);
    expect(sample(text, 'gatehouse_tokens_issued_total{grant_type="authorization_code"}')).toBe(2);
    expect(sample(text, 'gatehouse_tokens_issued_total{grant_type="client_credentials"}')).toBe(1);
    expect(sample(text, 'gatehouse_sign_in_failures_total{reason="bad_credentials"}')).toBe(1);
    expect(sample(text, 'gatehouse_mfa_outcomes_total{method="totp",outcome="failure"}')).toBe(1);
    expect(sample(text, 'gatehouse_mfa_outcomes_total{method="webauthn",outcome="success"}')).toBe(1);
    expect(sample(text, 'gatehouse_rate_limit_hits_total{limiter="mfa_code"}')).toBe(1);
    expect(sample(text, 'gatehouse_refresh_token_reuse_total')).toBe(1);
    expect(sample(text, 'gatehouse_audit_events_dropped_total')).toBe(1);
    expect(sample(text, 'gatehouse_store_unavailable_total')).toBe(1);
    expect(sample(text, 'gatehouse_client_aborts_total')).toBe(2);
  });

  it('gives each active signing key its age, read at each scrape, and no series before it has a source', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    expect(await metrics.registry.metrics()).not.toContain('gatehouse_signing_key_age_seconds{');
    let now = 1_000_000;
    metrics.watchSigningKeys(
      () => [
        { alg: 'ES256', createdAt: 400_000 },
        { alg: 'RS256', createdAt: 990_000 },
      ],
      () => now,
    );
    let text = await metrics.registry.metrics();
    expect(text).toContain('# TYPE gatehouse_signing_key_age_seconds gauge');
    expect(sample(text, 'gatehouse_signing_key_age_seconds{alg="ES256"}')).toBe(600);
    expect(sample(text, 'gatehouse_signing_key_age_seconds{alg="RS256"}')).toBe(10);
    now += 5_000;
    text = await metrics.registry.metrics();
    expect(sample(text, 'gatehouse_signing_key_age_seconds{alg="RS256"}')).toBe(15);
  });

  it('renders latency histograms in seconds with buckets from 1 ms to 5 s', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.httpDuration.observe({ route: '/interaction/:id', method: 'GET' }, 0.003);
    metrics.httpDuration.observe({ route: '/interaction/:id', method: 'GET' }, 7);
    metrics.storeLatency.observe({ operation: 'clients.get' }, 0.0002);

    const text = await metrics.registry.metrics();
    const series = (le: string) => `gatehouse_http_request_duration_seconds_bucket{le="${le}",route="/interaction/:id",method="GET"}`;
    expect(text).toContain('# TYPE gatehouse_http_request_duration_seconds histogram');
    expect(sample(text, series('0.001'))).toBe(0);
    expect(sample(text, series('0.005'))).toBe(1);
    expect(sample(text, series('5'))).toBe(1);
    expect(sample(text, series('+Inf'))).toBe(2);
    expect(sample(text, 'gatehouse_http_request_duration_seconds_count{route="/interaction/:id",method="GET"}')).toBe(2);
    expect(sample(text, 'gatehouse_http_request_duration_seconds_sum{route="/interaction/:id",method="GET"}')).toBeCloseTo(7.003);
    expect(sample(text, 'gatehouse_store_operation_duration_seconds_bucket{le="0.0005",operation="clients.get"}')).toBe(1);
    expect(sample(text, 'gatehouse_store_operation_duration_seconds_count{operation="clients.get"}')).toBe(1);
  });

  it('names every metric with the gatehouse_ prefix and Prometheus unit suffixes', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => ({ name: metric.name, type: String(metric.type) }));
    expect(names.map((metric) => metric.name).sort()).toEqual([
      'gatehouse_audit_events_dropped_total',
      'gatehouse_backchannel_logouts_total',
      'gatehouse_client_aborts_total',
      'gatehouse_http_request_duration_seconds',
      'gatehouse_http_requests_total',
      'gatehouse_mfa_outcomes_total',
      'gatehouse_rate_limit_hits_total',
      'gatehouse_refresh_token_reuse_total',
      'gatehouse_sign_in_failures_total',
      'gatehouse_signing_key_age_seconds',
      'gatehouse_store_operation_duration_seconds',
      'gatehouse_store_operations_total',
      'gatehouse_store_unavailable_total',
      'gatehouse_tokens_issued_total',
    ]);
    for (const { name, type } of names) {
      expect(name, name).toMatch(type === 'counter' ? /_total$/ : /_seconds$/);
    }
  });

  it('collects the default Node process metrics on its own registry, prefixed', async () => {
    const metrics = createMetrics();
    const text = await metrics.registry.metrics();
    expect(text).toContain(`${METRIC_PREFIX}process_cpu_user_seconds_total`);
    expect(text).toContain(`${METRIC_PREFIX}nodejs_heap_size_used_bytes`);
    expect(text).not.toMatch(/^process_cpu_user_seconds_total/m);
  });

  it('keeps two instances independent: no shared registry, no name collisions, no shared counts', async () => {
    // Both with default metrics: registering those twice on one (global) registry would throw.
    const first = createMetrics();
    const second = createMetrics();
    expect(first.registry).not.toBe(second.registry);

    first.tokensIssued.inc({ grant_type: 'refresh_token' }, 3);
    second.tokensIssued.inc({ grant_type: 'refresh_token' });

    expect(sample(await first.registry.metrics(), 'gatehouse_tokens_issued_total{grant_type="refresh_token"}')).toBe(3);
    expect(sample(await second.registry.metrics(), 'gatehouse_tokens_issued_total{grant_type="refresh_token"}')).toBe(1);
  });

  it('rejects label values outside the closed sets at compile time', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    // @ts-expect-error a free-form reason (here, a user name) would make a time series per value
    metrics.signInFailures.inc({ reason: 'alice' });
    // @ts-expect-error not a grant type
    metrics.tokensIssued.inc({ grant_type: 'password' });
    // @ts-expect-error not an MFA outcome
    metrics.mfaOutcomes.inc({ method: 'totp', outcome: 'maybe' });
  });
});
