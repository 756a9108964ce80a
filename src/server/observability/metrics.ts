import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GrantType, MfaFactorType } from '../../stores/contract.js';

/** Prefix of every metric name, the default Node process metrics included. */
export const METRIC_PREFIX = 'gatehouse_';

/**
 * Request latency buckets, in seconds: 1 ms to 5 s. Most endpoints answer in a few milliseconds;
 * a password check (argon2id) or an upstream round trip takes hundreds.
 */
const HTTP_DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Store latency buckets, in seconds: 0.1 ms to 2.5 s. Finer at the bottom than the HTTP buckets —
 * an indexed lookup takes well under a millisecond, and a slow store shows first as a shifted median.
 */
const STORE_DURATION_BUCKETS: readonly number[] = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The `route` label of requests that matched no route. Scanners probe arbitrary paths; one bucket
 * for all of them keeps the label set bounded.
 */
export const UNMATCHED_ROUTE = 'unmatched';

/** Why a sign-in failed (`reason` label). Never a user name or anything a client chooses. */
export type SignInFailureReason = 'unknown_user' | 'bad_credentials' | 'account_disabled' | 'rate_limited' | 'upstream_failed';

/** How an MFA step ended (`outcome` label). */
export type MfaOutcome = 'success' | 'failure' | 'locked';

/** Grant types a token can be issued by (`grant_type` label): the registered ones, by wire name. */
export type IssuingGrantType = GrantType;

/**
 * A prom-client counter whose label values are typed: `inc` accepts only the given label record, so
 * a value outside a closed set (a username as `reason`) fails to compile. Reading (`get`) and
 * resetting are prom-client's.
 */
export type TypedCounter<L extends Record<string, string>> = Omit<Counter<keyof L & string>, 'inc' | 'labels' | 'remove'> & {
  inc(labels: L, value?: number): void;
};

/** A prom-client histogram with typed label values; see {@link TypedCounter}. */
export type TypedHistogram<L extends Record<string, string>> = Omit<Histogram<keyof L & string>, 'observe' | 'startTimer' | 'labels' | 'remove'> & {
  observe(labels: L, seconds: number): void;
  /** Starts a timer; the returned function observes the seconds elapsed and returns them. */
  startTimer(labels: L): () => number;
};

/**
 * The server's metrics, each bound to a registry of its own (never prom-client's global one), so
 * any number of servers in one process — tests, several tenants — never collide.
 *
 * Every distinct label value is a new time series: label values come from closed sets (route
 * patterns, not paths; reasons from {@link SignInFailureReason}, not messages).
 */
export interface Metrics {
  /** What `/metrics` renders. */
  readonly registry: Registry;
  /**
   * `gatehouse_http_requests_total{route, method, status}`. `route` is the route pattern (e.g.
   * `/interaction/:id`) or {@link UNMATCHED_ROUTE}; see `httpMetrics`, which records it.
   */
  readonly httpRequests: TypedCounter<{ route: string; method: string; status: string }>;
  /** `gatehouse_http_request_duration_seconds{route, method}`. */
  readonly httpDuration: TypedHistogram<{ route: string; method: string }>;
  /** `gatehouse_tokens_issued_total{grant_type}`: successful token responses. */
  readonly tokensIssued: TypedCounter<{ grant_type: IssuingGrantType }>;
  /** `gatehouse_sign_in_failures_total{reason}`. */
  readonly signInFailures: TypedCounter<{ reason: SignInFailureReason }>;
  /** `gatehouse_mfa_outcomes_total{method, outcome}`: one per second-factor verification. */
  readonly mfaOutcomes: TypedCounter<{ method: MfaFactorType; outcome: MfaOutcome }>;
  /** `gatehouse_rate_limit_hits_total{limiter}`: refused requests; `limiter` is a fixed name from code (e.g. `mfa_code`). */
  readonly rateLimitHits: TypedCounter<{ limiter: string }>;
  /** `gatehouse_refresh_token_reuse_total`: reused refresh tokens that revoked their family (RFC 9700 §4.14.2). */
  readonly refreshReuse: Omit<Counter, 'labels' | 'remove'>;
  /** `gatehouse_store_operation_duration_seconds{operation}`, operation like `clients.get`; see `instrumentStore`. */
  readonly storeLatency: TypedHistogram<{ operation: string }>;
  /**
   * Every store call counts here, by operation (`gatehouse_store_operations_total{operation}`):
   * `instrumentStore` adds one to a plain number per call, copied into the counter at scrape time,
   * so counting exactly costs nothing measurable (the latency histogram is sampled).
   */
  readonly storeCalls: Map<string, { calls: number }>;
  /**
   * `gatehouse_audit_events_dropped_total`: events left out of the audit chain because the queue of
   * events waiting for the store was full (they still went to the logs; see `AuditLog.recordLater`).
   */
  readonly auditEventsDropped: Omit<Counter, 'labels' | 'remove'>;
  /**
   * `gatehouse_store_unavailable_total`: requests answered 503 because the database or Redis (or
   * another service the request depends on) could not be reached or did not answer in time: a
   * driver or network error of the store, as `isStoreUnavailable` tells them. The one to alert on; a
   * client that went away never counts here (see {@link Metrics.clientAborts}).
   */
  readonly storeUnavailable: Omit<Counter, 'labels' | 'remove'>;
  /**
   * `gatehouse_client_aborts_total`: requests the client broke off before they were read in full
   * (it closed or reset its connection mid-body). Logged at debug; not a failure of the server.
   */
  readonly clientAborts: Omit<Counter, 'labels' | 'remove'>;
  /**
   * `gatehouse_backchannel_logouts_total`: back-channel logout deliveries, by outcome: `delivered`
   * (the client answered 2xx), `retried` (an attempt failed, another is due), `failed` (given up).
   */
  readonly backchannelLogouts: TypedCounter<{ outcome: 'delivered' | 'retried' | 'failed' }>;
  /**
   * Gives `gatehouse_signing_key_age_seconds` (seconds since each active signing key was made, by
   * `alg`) its source, read at each scrape: before, the gauge has no series.
   */
  watchSigningKeys(activeKeys: () => readonly { alg: string; createdAt: number }[], now: () => number): void;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /**
   * Also collect prom-client's default Node process metrics (CPU, memory, event loop lag, GC),
   * as `gatehouse_process_*` and `gatehouse_nodejs_*`. Default true. Each collection keeps an
   * event-loop-delay monitor running for the life of the process, so tests that build many
   * servers may turn it off.
   */
  defaultMetrics?: boolean;
}

/**
 * Creates the metrics of one server on a registry of its own.
 *
 * @example
 * const metrics = createMetrics();
 * metrics.tokensIssued.inc({ grant_type: 'authorization_code' });
 * const text = await metrics.registry.metrics(); // Prometheus text exposition format 0.0.4
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const storeCalls = new Map<string, { calls: number }>();
  let signingKeys: { activeKeys: () => readonly { alg: string; createdAt: number }[]; now: () => number } | undefined;
  new Gauge({
    name: `${METRIC_PREFIX}signing_key_age_seconds`,
    help: 'Seconds since the active signing key of each algorithm was made (rotate with "gatehouse keys rotate").',
    labelNames: ['alg'] as const,
    registers,
    collect() {
      this.reset();
      if (!signingKeys) return;
      const now = signingKeys.now();
      for (const key of signingKeys.activeKeys()) this.set({ alg: key.alg }, Math.max(0, (now - key.createdAt) / 1000));
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}store_operations_total`,
    help: 'Store operations called, by repository and method (e.g. clients.get); every call counts.',
    labelNames: ['operation'] as const,
    registers,
    collect() {
      this.reset();
      for (const [operation, count] of storeCalls) this.inc({ operation }, count.calls);
    },
  });
  return {
    registry,
    storeCalls,
    httpRequests: new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by route pattern, method and status code.',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time to answer an HTTP request, by route pattern and method.',
      labelNames: ['route', 'method'] as const,
      buckets: [...HTTP_DURATION_BUCKETS],
      registers,
    }),
    tokensIssued: new Counter({
      name: `${METRIC_PREFIX}tokens_issued_total`,
      help: 'Successful token responses, by grant type.',
      labelNames: ['grant_type'] as const,
      registers,
    }),
    signInFailures: new Counter({
      name: `${METRIC_PREFIX}sign_in_failures_total`,
      help: 'Failed sign-in attempts, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    mfaOutcomes: new Counter({
      name: `${METRIC_PREFIX}mfa_outcomes_total`,
      help: 'Second-factor verifications, by factor type and outcome.',
      labelNames: ['method', 'outcome'] as const,
      registers,
    }),
    rateLimitHits: new Counter({
      name: `${METRIC_PREFIX}rate_limit_hits_total`,
      help: 'Requests refused by a rate limiter, by limiter.',
      labelNames: ['limiter'] as const,
      registers,
    }),
    refreshReuse: new Counter({
      name: `${METRIC_PREFIX}refresh_token_reuse_total`,
      help: 'Reused refresh tokens detected (the token family was revoked).',
      registers,
    }),
    storeLatency: new Histogram({
      name: `${METRIC_PREFIX}store_operation_duration_seconds`,
      help: 'Time a store operation took, by repository and method (e.g. clients.get).',
      labelNames: ['operation'] as const,
      buckets: [...STORE_DURATION_BUCKETS],
      registers,
    }),
    auditEventsDropped: new Counter({
      name: `${METRIC_PREFIX}audit_events_dropped_total`,
      help: 'Audit events not stored because the queue of events waiting for the database was full (still logged, marked unstored).',
      registers,
    }),
    storeUnavailable: new Counter({
      name: `${METRIC_PREFIX}store_unavailable_total`,
      help: 'Requests answered 503 because the database or Redis (or another service they depend on) did not answer.',
      registers,
    }),
    clientAborts: new Counter({
      name: `${METRIC_PREFIX}client_aborts_total`,
      help: 'Requests the client broke off before they were read in full (not server failures).',
      registers,
    }),
    backchannelLogouts: new Counter({
      name: `${METRIC_PREFIX}backchannel_logouts_total`,
      help: 'Back-channel logout deliveries to clients, by outcome (delivered, retried, failed: given up).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    watchSigningKeys(activeKeys, now) {
      signingKeys = { activeKeys, now };
    },
  };
}
