/** Metrics, health and readiness for the authorization server (issue 8). */
export { createMetrics } from './metrics.js';
export { instrumentStore } from './instrument-store.js';
export { httpMetrics } from './http-metrics.js';
export { healthzResponse, operatorMetricsResponse, readinessCheck, readyzResponse } from './endpoints.js';
