import { createHash, timingSafeEqual } from 'node:crypto';
import { OAuthError } from '../../core/errors.js';
import { SIGNING_ALGS, type KeyRing } from '../keys/signing-keys.js';
import type { Store } from '../../stores/contract.js';
import { json, notFoundResponse, oauthErrorResponse } from '../http/responses.js';
import type { IpRanges } from '../protection/ip-ranges.js';
import type { Metrics } from './metrics.js';

/** How long a readiness probe waits for the store to answer before calling it unreachable. */
const READINESS_TIMEOUT_MS = 1000;

/** What the readiness probe found. */
export interface ReadinessChecks {
  /** The store answered `ping()` in time. */
  store: boolean;
  /** An active signing key is loaded for every algorithm the server signs with. */
  keys: boolean;
}

/** The body of `/readyz`. */
export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: ReadinessChecks;
}

// Probes and scrapes must always see the current state, never a cached one.
const NO_STORE: Record<string, string> = { 'Cache-Control': 'no-store' };

/**
 * The `/metrics` response: the registry in the Prometheus text exposition format, with the
 * registry's content type (`text/plain; version=0.0.4; charset=utf-8`). Serve it only to
 * operators (see {@link operatorMetricsResponse}): the numbers describe traffic and failures.
 *
 * @example
 * const response = await metricsResponse(metrics);
 */
export async function metricsResponse(metrics: Pick<Metrics, 'registry'>): Promise<Response> {
  const body = await metrics.registry.metrics();
  return new Response(body, { status: 200, headers: { 'Content-Type': metrics.registry.contentType, ...NO_STORE } });
}

/** Options of {@link operatorMetricsResponse}. */
export interface OperatorMetricsOptions {
  /** When set, a scrape also needs `Authorization: Bearer <token>` (RFC 6750 §2.1). */
  token?: string | undefined;
}

/**
 * `/metrics` for operators only: {@link metricsResponse} when `ip` is in the operator allow-list
 * (and, with `options.token`, the request carries that bearer token), otherwise the router's own
 * 404 — to anyone outside the list the endpoint does not exist, so scanners learn nothing (an
 * operator whose scraper gets 404 should check `protection.operatorAllowList`). An allowed address
 * without the right token gets 401 with `WWW-Authenticate: Bearer realm="gatehouse-metrics"`
 * (RFC 6750 §3). Pass `ip` as `null` for a request that must never count as an operator's.
 *
 * @example
 * route('/metrics', ['GET'], (ctx, request) =>
 *   operatorMetricsResponse(ctx.metrics, ctx.network.operatorAllowList, ctx.request.ip, request, { token: ctx.network.metricsToken }));
 */
export async function operatorMetricsResponse(
  metrics: Pick<Metrics, 'registry'>,
  allowList: Pick<IpRanges, 'has'>,
  ip: string | null | undefined,
  request: Request,
  options: OperatorMetricsOptions = {},
): Promise<Response> {
  if (!allowList.has(ip)) {
    return notFoundResponse();
  }
  if (options.token !== undefined) {
    const presented = /^Bearer +(\S+) *$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    if (presented === undefined || !sameSecret(presented, options.token)) {
      // RFC 6750 §3.1: no error code when no credentials were sent at all.
      const challenge = `Bearer realm="gatehouse-metrics"${presented === undefined ? '' : ', error="invalid_token"'}`;
      return oauthErrorResponse(
        new OAuthError('invalid_token', 'a valid metrics bearer token is required', { status: 401, headers: { 'WWW-Authenticate': challenge } }),
      );
    }
  }
  return metricsResponse(metrics);
}

/** Constant-time comparison, also of the length (both sides are hashed first). */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The `/healthz` (liveness) response: 200 `{ "status": "ok" }` whenever the process can answer at all. */
export function healthzResponse(): Response {
  return json({ status: 'ok' }, 200, NO_STORE);
}

/** Options of {@link readyzResponse}. */
export interface ReadyzOptions {
  /**
   * A backstop for a check that itself never settles: after this long every check counts as
   * failed. Default twice {@link READINESS_TIMEOUT_MS}, so that a check built by
   * {@link readinessCheck} reports its own store timeout first (and the keys truthfully).
   */
  timeoutMs?: number;
}

/**
 * The `/readyz` (readiness) response: 200 when every check passed, 503 otherwise, with
 * `{ status, checks: { store, keys } }`. Never throws: a check that rejects or hangs counts as all
 * checks failed.
 *
 * @example
 * const check = readinessCheck(store, keyRing);
 * app.get('/readyz', () => readyzResponse(check));
 */
export async function readyzResponse(check: () => Promise<ReadinessChecks>, options: ReadyzOptions = {}): Promise<Response> {
  const failed: ReadinessChecks = { store: false, keys: false };
  // Only `true` counts: a check written in JavaScript may answer anything.
  let checks: Partial<Record<keyof ReadinessChecks, unknown>>;
  try {
    checks = await withTimeout(Promise.resolve().then(check), options.timeoutMs ?? 2 * READINESS_TIMEOUT_MS, failed);
  } catch {
    checks = failed;
  }
  const ready = checks.store === true && checks.keys === true;
  const report: ReadinessReport = { status: ready ? 'ok' : 'unavailable', checks: { store: checks.store === true, keys: checks.keys === true } };
  return json(report, ready ? 200 : 503, NO_STORE);
}

/** Options of {@link readinessCheck}. */
export interface ReadinessCheckOptions {
  /** How long to wait for `store.ping()`. Default {@link READINESS_TIMEOUT_MS} (1 s). */
  timeoutMs?: number;
}

/**
 * The server's readiness check, for {@link readyzResponse}: the store answers `ping()` within the
 * timeout (a rejection or a hang is `store: false`), and the key ring holds an active signing key
 * for every algorithm (`keys: false` before the first load or after a failed one). Never rejects.
 */
export function readinessCheck(
  store: Pick<Store, 'ping'>,
  keyRing: Pick<KeyRing, 'signingKey'>,
  options: ReadinessCheckOptions = {},
): () => Promise<ReadinessChecks> {
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  return async () => {
    const ping = Promise.resolve()
      .then(() => store.ping())
      .then(
        () => true,
        () => false,
      );
    return { store: await withTimeout(ping, timeoutMs, false), keys: keysLoaded(keyRing) };
  };
}

function keysLoaded(keyRing: Pick<KeyRing, 'signingKey'>): boolean {
  try {
    for (const alg of SIGNING_ALGS) keyRing.signingKey(alg);
    return true;
  } catch {
    return false;
  }
}

/** `promise`'s outcome, or `fallback` if it has not settled within `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
    // A probe must never keep the process alive.
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
