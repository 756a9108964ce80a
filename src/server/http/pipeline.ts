/**
 * An endpoint as a declared chain of small named steps over an explicit context (STYLE.md "Request
 * flow"): parse → named checks → one decision → respond. Each step takes the context built so far
 * and either stops the request with a `Response` or continues, optionally adding fields that later
 * steps (and the compiler) can rely on. A chain reads top to bottom as the rules it enforces.
 *
 * @example
 * const introspection = pipeline<TokenEndpointContext>('introspection')
 *   .step(authenticateCaller)                  // adds { client }
 *   .step(findPresentedToken)                  // adds { token }
 *   .step(requireConfidentialClient)           // may stop with 401
 *   .respond(describeToken);                   // the decision and the answer
 */

import { isThenable } from '../../core/promises.js';

/**
 * What a step does: stop with a Response, add fields to the context, or `undefined` (continue). A
 * check that only throws to stop is typed `(c) => undefined`, and needs no `return`.
 */
export type StepResult<Added extends object> = Response | Added | undefined;

/** A named step. Its function name is the rule it enforces (`checkPkce`, `authenticateClient`). */
export type Step<In, Added extends object = object> = (c: In) => StepResult<Added> | Promise<StepResult<Added>>;

/** The final step: it always answers. */
export type Responder<In> = (c: In) => Response | Promise<Response>;

/** A built endpoint: runs the steps in order on a fresh context. */
export interface Pipeline<In> {
  readonly name: string;
  /** The names of the steps, in order (for docs, logs and tests). */
  readonly steps: readonly string[];
  run(c: In): Promise<Response>;
}

/**
 * Turns an error a step threw into the answer (an error redirect, an error page), or returns
 * `undefined` to let it propagate (to the router's error handling). It sees the context as far as
 * it was built.
 */
export type Recovery<In> = (error: unknown, c: In) => Response | undefined | Promise<Response | undefined>;

/** The builder of {@link pipeline}: each `step` widens the context by what it adds. */
export interface PipelineBuilder<Initial, Current> {
  step<Added extends object>(step: Step<Current, Added>): PipelineBuilder<Initial, Current & Added>;
  /** Declares how errors thrown by the steps are answered (one handler per chain). */
  recover(recovery: Recovery<Initial>): PipelineBuilder<Initial, Current>;
  respond(responder: Responder<Current>): Pipeline<Initial>;
}

type AnyStep = (c: Record<string, unknown>) => unknown;

/** Starts the declaration of an endpoint named `name` whose context starts as `Initial`. */
export function pipeline<Initial extends object>(name: string): PipelineBuilder<Initial, Initial> {
  return builder<Initial, Initial>(name, [], undefined);
}

function builder<Initial, Current>(name: string, steps: AnyStep[], recovery: Recovery<Initial> | undefined): PipelineBuilder<Initial, Current> {
  return {
    step<Added extends object>(step: Step<Current, Added>) {
      return builder<Initial, Current & Added>(name, [...steps, step as unknown as AnyStep], recovery);
    },
    recover(handler: Recovery<Initial>) {
      return builder<Initial, Current>(name, steps, handler);
    },
    respond(responder: Responder<Current>): Pipeline<Initial> {
      const all = [...steps, responder as unknown as AnyStep];
      return {
        name,
        steps: all.map((step) => step.name || '(anonymous)'),
        async run(initial: Initial): Promise<Response> {
          const c = { ...initial } as Record<string, unknown>;
          try {
            for (const step of all) {
              // Synchronous steps (most checks) are not awaited: a microtask per step adds up.
              let result = step(c);
              if (isThenable(result)) result = await result;
              if (isResponse(result)) return result;
              if (result !== undefined && result !== null) Object.assign(c, result);
            }
          } catch (error) {
            const answer = recovery ? await recovery(error, c as Initial) : undefined;
            if (answer) return answer;
            throw error;
          }
          // The responder always returns a Response; reaching here is a programming error.
          throw new TypeError(`the ${name} pipeline ended without a response`);
        },
      };
    },
  };
}

/**
 * A Response, recognised by shape: `@hono/node-server` swaps the global `Response` for a faster one,
 * so `instanceof` depends on which global made it. Added fields are plain objects.
 */
function isResponse(value: unknown): value is Response {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Response).status === 'number' &&
    typeof (value as Response).clone === 'function' &&
    'headers' in value
  );
}
