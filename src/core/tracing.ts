/**
 * OpenTelemetry spans through `@opentelemetry/api` only (issue 18): the application brings the SDK
 * and its exporter (or `gatehouse start` loads `@opentelemetry/sdk-node` when `GATEHOUSE_OTEL=1`).
 * With no SDK registered the API is a no-op, and so is this module: a request costs one
 * `startSpan` returning an invalid span, after which nothing else is done (no attributes built, no
 * context switched). Without the `@opentelemetry/api` package (an optional dependency) there are no
 * spans at all. Internal: not exported from the package.
 *
 * Per-request data is passed explicitly (ARCHITECTURE.md): the request's span and context travel in
 * its scope (`RequestInfo.trace`). Only the endpoint's call runs inside `context.with`, so that the
 * spans of store calls, password hashes and outgoing requests find their parent in the active
 * context: a no-op unless an SDK registered a context manager (the Node SDK's uses
 * `AsyncLocalStorage`, a cost the operator opts into by enabling traces).
 */
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanOptions, SpanStatus, Tracer, TracerProvider } from '@opentelemetry/api';
import { readFileSync } from 'node:fs';
import { importOptional } from './optional-dependency.js';

const api: typeof OtelApi | undefined = await importOptional('@opentelemetry/api', () => import('@opentelemetry/api'), 'tracing').catch((error: unknown) => {
  if ((error as { code?: unknown }).code === 'ERR_MISSING_DEPENDENCY') return undefined;
  throw error;
});

/** This package's version, the instrumentation scope's (`src/core` and `dist/core` are both two levels below the package). */
const VERSION = ((): string | undefined => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
})();

/** The instrumentation scope's name. */
const TRACER_NAME = 'gatehouse';

// SpanKind and SpanStatusCode values: const enums of the API, which isolated modules cannot import as values.
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
const SERVER_SPAN: SpanOptions = { kind: 1 };
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
const CLIENT_SPAN: SpanOptions = { kind: 2 };
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
const ERROR_STATUS: SpanStatus = { code: 2 };

let cached: { provider: TracerProvider; tracer: Tracer } | undefined;

/**
 * The `gatehouse` tracer of the global provider. Cached per provider object: the API replaces its
 * global proxy when the provider is unregistered (`trace.disable()`), and a tracer taken from the
 * old one would keep sending spans to a provider that is gone.
 */
function tracer(otel: typeof OtelApi): Tracer {
  const provider = otel.trace.getTracerProvider();
  if (cached?.provider !== provider) cached = { provider, tracer: provider.getTracer(TRACER_NAME, VERSION) };
  return cached.tracer;
}

/** The span of one request, and the context that has it as the active span. */
export interface RequestTrace {
  readonly span: Span;
  readonly context: Context;
  readonly traceId: string;
  readonly spanId: string;
}

const HEADERS_GETTER: OtelApi.TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/**
 * Starts the server span of a request, continuing the caller's trace when the request carries a
 * W3C `traceparent` (through the registered propagator). `undefined` when there is nothing to
 * trace: no SDK registered (the span the no-op API returns is invalid), or no API package.
 * `path` is the URL's path, without its query.
 */
export function startRequestSpan(method: string, path: string, headers: Headers): RequestTrace | undefined {
  if (api === undefined) return undefined;
  const parent = api.propagation.extract(api.ROOT_CONTEXT, headers, HEADERS_GETTER);
  const span = tracer(api).startSpan(`HTTP ${method}`, SERVER_SPAN, parent);
  const spanContext = span.spanContext();
  if (!api.isSpanContextValid(spanContext)) return undefined;
  if (span.isRecording()) span.setAttributes({ 'http.request.method': method, 'url.path': path });
  return { span, context: api.trace.setSpan(parent, span), traceId: spanContext.traceId, spanId: spanContext.spanId };
}

/** Names the request's span after the route that answers it: `HTTP POST /token`. */
export function nameRequestSpan(trace: RequestTrace, method: string, route: string): void {
  if (!trace.span.isRecording()) return;
  trace.span.updateName(`HTTP ${method} ${route}`);
  trace.span.setAttribute('http.route', route);
}

/** Runs `fn` with the request's span active, so that the spans started below it are its children. */
export function inRequestContext<T>(trace: RequestTrace, fn: () => T): T {
  return api === undefined ? fn() : api.context.with(trace.context, fn);
}

/** Ends the request's span with its response status: an error for 5xx (`error.type`: the error's name when one was thrown). */
export function endRequestSpan(trace: RequestTrace, status: number, error?: unknown): void {
  const { span } = trace;
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) {
      span.setStatus(ERROR_STATUS);
      span.setAttribute('error.type', error instanceof Error ? error.name : String(status));
    }
  }
  span.end();
}

/**
 * The fields a log line of a traced request carries: `trace_id` and `span_id` (the request span's).
 * Kept apart from the logger's format, which may name them otherwise (ECS: `trace.id`, `span.id`).
 */
export function traceLogFields(trace: RequestTrace): { trace_id: string; span_id: string } {
  return { trace_id: trace.traceId, span_id: trace.spanId };
}

/**
 * Starts an internal span as a child of the active one. With `onlyInTrace`, only when there is an
 * active span (store calls: one outside any request, a key refresh say, would be a trace of its own).
 * `undefined` when it would not record; `attributes` is called only when it will.
 */
export function startChildSpan(name: string, attributes?: () => Attributes, onlyInTrace = false): Span | undefined {
  if (api === undefined) return undefined;
  if (onlyInTrace && api.trace.getSpan(api.context.active()) === undefined) return undefined;
  const span = tracer(api).startSpan(name);
  if (!span.isRecording()) return undefined;
  if (attributes) span.setAttributes(attributes());
  return span;
}

/** Ends a span, as failed when `error` is given: its type only, never its message (which may hold values). */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.setStatus(ERROR_STATUS);
    span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
  }
  span.end();
}

/** Runs `fn` (a promise) in a child span named `name`, ended when it settles. */
export async function inChildSpan<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const span = startChildSpan(name);
  if (span === undefined) return fn();
  try {
    const result = await fn();
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}

/** An outgoing request's span and the `traceparent` (and other propagator fields) to send with it. */
export interface ClientTrace {
  readonly span: Span;
  /** The propagation headers for the request. */
  readonly headers: Record<string, string>;
}

/**
 * Starts the CLIENT span of an outgoing request, child of the active span. `url` is reduced to its
 * origin and path (a query or credentials may hold secrets). `undefined` when nothing is traced.
 */
export function startClientSpan(givenMethod: string, target: string | URL): ClientTrace | undefined {
  if (api === undefined) return undefined;
  const parent = api.context.active();
  const method = givenMethod.toUpperCase();
  const span = tracer(api).startSpan(`HTTP ${method}`, CLIENT_SPAN, parent);
  if (!api.isSpanContextValid(span.spanContext())) return undefined;
  const url = span.isRecording() ? URL.parse(target) : null;
  if (url) {
    span.setAttributes({
      'http.request.method': method,
      'server.address': url.hostname,
      'server.port': url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
      'url.full': `${url.origin}${url.pathname}`,
    });
  }
  const headers: Record<string, string> = {};
  api.propagation.inject(api.trace.setSpan(parent, span), headers);
  return { span, headers };
}

/** Ends an outgoing request's span with the answer's status (an error from 400 on) or the failure. */
export function endClientSpan(trace: ClientTrace, status: number | undefined, error?: unknown): void {
  const { span } = trace;
  if (span.isRecording()) {
    if (status !== undefined) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 400) {
        span.setStatus(ERROR_STATUS);
        span.setAttribute('error.type', String(status));
      }
    }
    if (error !== undefined) {
      span.setStatus(ERROR_STATUS);
      span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
    }
  }
  span.end();
}
