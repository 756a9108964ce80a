import { isThenable } from '../../core/promises.js';
import { endSpan, startChildSpan } from '../../core/tracing.js';
import type { Span } from '@opentelemetry/api';
import type { Store } from '../../stores/contract.js';
import type { Metrics } from './metrics.js';

/** Store members that are lifecycle, not data access: passed through untimed. */
const LIFECYCLE = new Set<PropertyKey>(['migrate', 'ping', 'close']);

/**
 * Wraps a store so that every repository call observes `storeLatency` with `operation` set to
 * `<repository>.<method>` — `clients.get`, `artifacts.consume`, `consents.revoke`. Every method of
 * every repository is wrapped generically, including repositories added to the contract later;
 * `migrate`, `ping` and `close` pass through untimed. Results, rejections and thrown errors reach
 * the caller unchanged (a failed call is timed too); `this` inside a repository stays the real
 * repository, so private fields keep working.
 *
 * Within a traced request (an OpenTelemetry SDK registered, see `core/tracing.ts`) each call is also
 * a span, `store clients.get`, with `db.operation.name` (`get`), `db.collection.name` (`clients`) and
 * `gatehouse.store.operation` (`clients.get`): never arguments or results, which hold ids and secrets.
 *
 * @example
 * const metrics = createMetrics();
 * const store = instrumentStore(createSqliteStore({ filename }), metrics);
 * createAuthorizationServer({ issuer, secret, store });
 */
export function instrumentStore<S extends Store>(store: S, metrics: Pick<Metrics, 'storeLatency' | 'storeCalls'>): S {
  const repositories = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value === 'function') return LIFECYCLE.has(property) ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      if (typeof property !== 'string' || typeof value !== 'object' || value === null) return value;
      let repository = repositories.get(property);
      if (repository === undefined) {
        repository = instrumentRepository(value, property, metrics);
        repositories.set(property, repository);
      }
      return repository;
    },
  });
}

function instrumentRepository(repository: object, name: string, metrics: Pick<Metrics, 'storeLatency' | 'storeCalls'>): object {
  // One wrapper per method, so `store.clients.get === store.clients.get` as callers may expect.
  const wrappers = new Map<string, (...args: unknown[]) => unknown>();
  return new Proxy(repository, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        wrapper = timed(value as (...args: unknown[]) => unknown, target, `${name}.${property}`, metrics);
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

/**
 * One call in this many per operation is timed: enough for a latency histogram, without a timer
 * and a labelled observation on every store call of every request (measurable on the token path).
 */
export const STORE_LATENCY_SAMPLE = 8;

function timed(
  method: (...args: unknown[]) => unknown,
  self: object,
  operation: string,
  metrics: Pick<Metrics, 'storeLatency' | 'storeCalls'>,
): (...args: unknown[]) => unknown {
  // Shared by every wrapper of this operation (one per instrumented store): counted exactly.
  let count = metrics.storeCalls.get(operation);
  if (count === undefined) metrics.storeCalls.set(operation, (count = { calls: 0 }));
  const counted = count;
  const [collection = '', methodName = ''] = operation.split('.');
  const spanName = `store ${operation}`;
  const attributes = () => ({ 'db.operation.name': methodName, 'db.collection.name': collection, 'gatehouse.store.operation': operation });
  return (...args: unknown[]): unknown => {
    const span = startChildSpan(spanName, attributes, true);
    if (span !== undefined) {
      const end = counted.calls++ % STORE_LATENCY_SAMPLE === 0 ? metrics.storeLatency.startTimer({ operation }) : undefined;
      return traced(method, self, args, span, end);
    }
    // The first call of each operation is always timed, then one in STORE_LATENCY_SAMPLE.
    if (counted.calls++ % STORE_LATENCY_SAMPLE !== 0) return method.apply(self, args);
    const end = metrics.storeLatency.startTimer({ operation });
    let result: unknown;
    try {
      result = method.apply(self, args);
    } catch (error) {
      end();
      throw error;
    }
    if (!isThenable(result)) {
      end();
      return result;
    }
    return result.then(
      (value) => {
        end();
        return value;
      },
      (error: unknown) => {
        end();
        throw error;
      },
    );
  };
}

/** A call within a span (tracing on), and timed for the histogram when `end` is given (sampled as without a span). */
function traced(method: (...args: unknown[]) => unknown, self: object, args: unknown[], span: Span, end: (() => unknown) | undefined): unknown {
  const done = (error?: unknown) => {
    end?.();
    endSpan(span, error);
  };
  let result: unknown;
  try {
    result = method.apply(self, args);
  } catch (error) {
    done(error);
    throw error;
  }
  if (!isThenable(result)) {
    done();
    return result;
  }
  return result.then(
    (value) => {
      done();
      return value;
    },
    (error: unknown) => {
      done(error);
      throw error;
    },
  );
}
