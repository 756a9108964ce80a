import type { ServerContext } from '../context.js';
import type { Pipeline } from './pipeline.js';

/** What every endpoint's chain starts from: the request scope, the HTTP request and its path parameters. */
export interface EndpointInput {
  ctx: ServerContext;
  request: Request;
  /** The `:id` path parameter (interactions), or `''`. */
  id: string;
  /** Every path parameter. */
  params: Record<string, string>;
}

/** How the router calls an endpoint. */
export type Endpoint = (ctx: ServerContext, request: Request, id: string, params: Record<string, string>) => Promise<Response> | Response;

/** An endpoint declared as a {@link Pipeline} of named steps, callable by the router. */
export function endpoint(chain: Pipeline<EndpointInput>): Endpoint & { chain: Pipeline<EndpointInput> } {
  const run: Endpoint = (ctx, request, id, params) => chain.run({ ctx, request, id, params });
  return Object.assign(run, { chain });
}
