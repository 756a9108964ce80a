import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { pipeline } from '../http/pipeline.js';
import { json, NO_STORE } from '../http/responses.js';
import { authenticateCaller, requireConfidentialClient } from '../steps/authenticate-client.js';
import { readFormBody } from '../steps/read-form.js';
import { findPresentedToken, mayIntrospect, type ActiveToken } from './presented-token.js';

/**
 * The answer (RFC 7662 §2.2): the token's members when it is active and the caller may see it;
 * otherwise just `{"active": false}`, so the response never tells invalid, expired, revoked and
 * foreign apart.
 */
function describeToken({ ctx, client, token }: { ctx: Pick<ServerContext, 'config'>; client: ClientRecord; token: ActiveToken | undefined }): Response {
  if (!token || !mayIntrospect(client, token)) return json({ active: false }, 200, NO_STORE);
  return json({ active: true, ...describe(ctx, token) }, 200, NO_STORE);
}

/** RFC 7662 §2.2 members for an active token. */
function describe(ctx: Pick<ServerContext, 'config'>, token: ActiveToken): Record<string, unknown> {
  if (token.type === 'access_token') {
    const { claims } = token;
    return {
      // RFC 9449 §6.2: a bound token is a DPoP token, and its key is given in cnf.
      token_type: claims.cnf ? 'DPoP' : 'Bearer',
      scope: claims.scope,
      client_id: claims.client_id,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      // RFC 8693 §4.1: the acting party of a token issued by a delegation exchange (RFC 7662 §2.2 allows other members).
      ...(claims.act !== undefined ? { act: claims.act } : {}),
      ...(claims.cnf ? { cnf: { jkt: claims.cnf.jkt } } : {}),
    };
  }
  return {
    token_type: 'refresh_token',
    scope: token.state.scope.join(' '),
    client_id: token.clientId,
    sub: token.state.sub,
    iss: ctx.config.issuer,
    exp: Math.floor(token.expiresAt / 1000),
  };
}

/** Token introspection (RFC 7662), for access and refresh tokens. */
export const introspectionEndpoint = endpoint(
  pipeline<EndpointInput>('introspection')
    .step(readFormBody)
    .step(authenticateCaller)
    .step(requireConfidentialClient)
    .step(findPresentedToken)
    .respond(describeToken),
);
