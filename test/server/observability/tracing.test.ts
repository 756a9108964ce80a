import { context, propagation, SpanKind, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithDeadline } from '../../../src/core/deadline-fetch.js';
import { hashPassword } from '../../../src/core/password.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { authorize, expectTokens, redeemCode, startFlow, type Flow } from '../../helpers/flow.js';

/**
 * Issue 18, "Traces": the spans of one sign-in and one token request, recorded by an SDK registered
 * for this file only (the global provider, context manager and propagator are reset afterwards: the
 * worker runs other files in the same module graph).
 */
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  trace.disable();
  context.disable();
  propagation.disable();
  await provider.shutdown();
});
afterEach(() => exporter.reset());

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const named = (name: string): ReadableSpan[] => spans().filter((span) => span.name === name);
const childrenOf = (parent: ReadableSpan): ReadableSpan[] => spans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
const only = (list: ReadableSpan[]): ReadableSpan => {
  expect(list).toHaveLength(1);
  return list[0]!;
};

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('traces', () => {
  let flow: Flow;
  let lines: Record<string, unknown>[];
  /** Set by a test to make `clients.get` fail unexpectedly (a 500). */
  let failClients = false;

  beforeAll(async () => {
    const clock = new FakeClock();
    const raw = createMemoryStore({ clock });
    const clients = raw.clients;
    const store = new Proxy(raw, {
      get: (target, property) =>
        property === 'clients'
          ? new Proxy(clients, {
              get: (repository, name) => {
                const method = (Reflect.get(repository, name, repository) as (...args: unknown[]) => unknown).bind(repository);
                return name === 'get' ? (...args: unknown[]) => (failClients ? Promise.reject(new Error('boom')) : method(...args)) : method;
              },
            })
          : (Reflect.get(target, property, target) as unknown),
    });
    const captured = capturingLogger();
    lines = captured.lines;
    flow = await startFlow({ clock, store, logger: captured.logger });
  });

  it('a sign-in: the login POST is a server span, its password verification and store calls its children; the audit event and log lines carry the trace', async () => {
    const { server, client, browser, users } = flow;
    exporter.reset();
    await authorize(browser, server, client, users.alice);

    const login = only(named('HTTP POST /interaction/:id/login'));
    expect(login.kind).toBe(1); // SERVER
    expect(login.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/interaction/:id/login', 'http.response.status_code': 303 });
    expect(login.attributes['url.path']).toMatch(/^\/interaction\/[^/?]+\/login$/);
    const children = childrenOf(login);
    const names = children.map((span) => span.name);
    expect(names).toContain('password.verify');
    expect(names).toContain('store users.findByLogin');
    for (const child of children) expect(child.spanContext().traceId).toBe(login.spanContext().traceId);
    const store = children.find((span) => span.name === 'store users.findByLogin')!;
    expect(store.attributes).toEqual({ 'db.operation.name': 'findByLogin', 'db.collection.name': 'users', 'gatehouse.store.operation': 'users.findByLogin' });
    // Every request of the sign-in is its own trace (a browser sends no traceparent), a root span.
    const requests = spans().filter((span) => span.kind === SpanKind.SERVER);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const request of requests) expect(request.parentSpanContext).toBeUndefined();

    const [succeeded] = await server.store.audit.list({ type: 'login.succeeded' });
    expect(succeeded?.details.trace_id).toBe(login.spanContext().traceId);
    const auditLine = lines.find((line) => JSON.stringify(line).includes('login.succeeded'));
    expect(JSON.stringify(auditLine)).toContain(login.spanContext().traceId);
  });

  it('a token request: the server span of POST /token with its store calls as children', async () => {
    const { server, client, browser, users } = flow;
    const { code, verifier } = await authorize(browser, server, client, users.alice);
    exporter.reset();
    await expectTokens(await redeemCode(server, client, code, verifier));

    const token = only(named('HTTP POST /token'));
    expect(token.attributes).toMatchObject({ 'http.route': '/token', 'url.path': '/token', 'http.response.status_code': 200 });
    expect(token.status.code).toBe(0); // UNSET
    const names = childrenOf(token).map((span) => span.name);
    expect(names).toContain('store clients.get');
    expect(names).toContain('store artifacts.consume');
    // Nothing below the request span is a root: every store call of it is its child.
    expect(named('store artifacts.consume').every((span) => span.parentSpanContext?.spanId === token.spanContext().spanId)).toBe(true);
  });

  it('continues the trace of an incoming traceparent', async () => {
    const { server } = flow;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    exporter.reset();
    await server.get('/.well-known/openid-configuration?x=1', { headers: { traceparent: `00-${traceId}-${parentId}-01` } });

    const discovery = only(named('HTTP GET /.well-known/openid-configuration'));
    expect(discovery.spanContext().traceId).toBe(traceId);
    expect(discovery.parentSpanContext?.spanId).toBe(parentId);
    expect(discovery.attributes['url.path']).toBe('/.well-known/openid-configuration');
  });

  it('an unexpected failure: the span is an error (500), and the log line carries trace_id and span_id', async () => {
    const { server, client } = flow;
    exporter.reset();
    failClients = true;
    try {
      expect((await server.post('/token', { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret! })).status).toBe(
        500,
      );
    } finally {
      failClients = false;
    }
    const token = only(named('HTTP POST /token'));
    expect(token.status.code).toBe(2); // ERROR
    expect(token.attributes['http.response.status_code']).toBe(500);
    const line = lines.find((candidate) => candidate.msg === 'unexpected error');
    expect(line).toMatchObject({ trace_id: token.spanContext().traceId, span_id: token.spanContext().spanId });
  });
});

describe('outgoing requests and password hashes', () => {
  it('an outgoing request is a CLIENT span, child of the active span, and sends its traceparent', async () => {
    let sent: Headers | undefined;
    const fetcher = fetchWithDeadline((_input, init) => {
      sent = new Headers(init?.headers);
      return Promise.resolve(new Response('{}', { status: 502 }));
    }, 1000);
    const parent: Span = trace.getTracer('test').startSpan('parent');
    await context.with(trace.setSpan(context.active(), parent), () =>
      fetcher('https://idp.example.com:8443/jwks?secret=x', { headers: { Accept: 'application/json' } }),
    );
    parent.end();

    const outgoing = only(named('HTTP GET'));
    expect(outgoing.kind).toBe(2); // CLIENT
    expect(outgoing.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(outgoing.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': 'idp.example.com',
      'server.port': 8443,
      'url.full': 'https://idp.example.com:8443/jwks',
      'http.response.status_code': 502,
    });
    expect(outgoing.status.code).toBe(2);
    expect(sent?.get('accept')).toBe('application/json');
    expect(sent?.get('traceparent')).toBe(`00-${outgoing.spanContext().traceId}-${outgoing.spanContext().spanId}-01`);
  });

  it('a password hash is a span', async () => {
    await hashPassword('correct horse battery staple');
    const hash = only(named('password.hash'));
    expect(hash.attributes).toEqual({});
  });
});
