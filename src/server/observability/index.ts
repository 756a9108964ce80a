/** Metrics, health and readiness for the authorization server (issue 8). */
export {
  createMetrics,
  HTTP_DURATION_BUCKETS,
  METRIC_PREFIX,
  STORE_DURATION_BUCKETS,
  UNMATCHED_ROUTE,
  type IssuingGrantType,
  type Metrics,
  type MetricsOptions,
  type MfaOutcome,
  type SignInFailureReason,
  type TypedCounter,
  type TypedHistogram,
} from './metrics.js';
export { instrumentStore } from './instrument-store.js';
export { httpMetrics, methodLabel, routePattern } from './http-metrics.js';
export {
  healthzResponse,
  metricsResponse,
  operatorMetricsResponse,
  readinessCheck,
  readyzResponse,
  READINESS_TIMEOUT_MS,
  type ReadinessCheckOptions,
  type ReadinessChecks,
  type ReadinessReport,
  type ReadyzOptions,
} from './endpoints.js';
