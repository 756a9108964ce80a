import { bearerChallenge } from '../../core/bearer-challenge.js';
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord, ClientRegistration } from '../../stores/contract.js';
import { findInitialAccessToken } from '../clients/initial-access-tokens.js';
import {
  clientInformation,
  deleteRegisteredClient,
  findRegisteredClient,
  OPEN_ALLOWANCE,
  registerDynamicClient,
  tokenAllowance,
  updateRegisteredClient,
  type RegistrationAllowance,
} from '../clients/registration.js';
import { clientAddress, type ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { readBody } from '../http/form.js';
import { pipeline } from '../http/pipeline.js';
import { json, NO_STORE } from '../http/responses.js';
import { rateLimitedError, recordRateLimitHit } from '../protection/rate-limited.js';

/** A 401 with the RFC 6750 §3 challenge: `invalid_token` when a token was presented, bare when none was (§3.1). */
function unauthorized(description?: string): OAuthError {
  const challenge = bearerChallenge({ realm: 'gatehouse', ...(description ? { error: 'invalid_token' as const, description } : {}) });
  return new OAuthError('invalid_token', description ?? 'a bearer token is required', { status: 401, headers: { 'WWW-Authenticate': challenge } });
}

/** The bearer token of the `Authorization` header (RFC 6750 §2.1), or `undefined` without one. */
function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match) {
    throw new OAuthError('invalid_request', 'the Authorization header is not a Bearer token', {
      headers: {
        'WWW-Authenticate': bearerChallenge({ realm: 'gatehouse', error: 'invalid_request', description: 'the Authorization header is not a Bearer token' }),
      },
    });
  }
  return match[1]!;
}

/** The JSON body (RFC 7591 §3.1: `application/json`), parsed; its fields are checked by the metadata rules. */
async function readJson({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ body: unknown }> {
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  if (!/^application\/json\s*(;|$)/.test(type)) throw new OAuthError('invalid_request', 'the body must be JSON (Content-Type: application/json)');
  const text = await readBody(request, ctx.config.limits.maxBodyBytes);
  try {
    return { body: JSON.parse(text) as unknown };
  } catch {
    throw new OAuthError('invalid_client_metadata', 'the body is not valid JSON');
  }
}

/**
 * Registrations from one address (`registrationPerIp`), spent before anything is looked at and
 * never given back: it bounds how many clients an address can create, whatever their fate.
 */
async function spendRegistrationBudget({ ctx }: { ctx: Pick<ServerContext, 'limits' | 'metrics' | 'audit' | 'request'> }): Promise<void> {
  const limited = await ctx.limits.consume('registrationPerIp', clientAddress(ctx));
  if (!limited) return;
  await recordRateLimitHit(ctx, limited);
  throw rateLimitedError(limited);
}

/** What the registration may set, and what it costs: from the initial access token, or the open policy. */
interface Admission {
  via: ClientRegistration['via'];
  allowed: RegistrationAllowance;
  initialAccessTokenId: string | null;
  spend?: () => Promise<boolean>;
}

/**
 * Who may register (RFC 7591 §3): with `registration.policy` `initial-access-token`, only a caller
 * presenting an initial access token (RFC 6750 bearer); with `open`, anyone, for what open
 * registration admits (public native clients), or more with a token.
 */
async function admit({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ admission: Admission }> {
  const token = bearerToken(request);
  if (token === undefined) {
    if (ctx.config.registration.policy !== 'open') throw unauthorized();
    return { admission: { via: 'open', allowed: OPEN_ALLOWANCE, initialAccessTokenId: null } };
  }
  const found = await findInitialAccessToken(ctx, token);
  if (!found) throw unauthorized('the initial access token is invalid, expired or used up');
  return { admission: { via: 'initial-access-token', allowed: tokenAllowance(found.scope), initialAccessTokenId: found.id, spend: () => found.spend() } };
}

async function register({ ctx, body, admission }: { ctx: ServerContext; body: unknown; admission: Admission }): Promise<Response> {
  const { client, clientSecret, registrationAccessToken } = await registerDynamicClient(ctx, body, {
    ...admission,
    ...(admission.spend ? { spend: admission.spend } : {}),
  }).catch((error: unknown) => {
    // A token used up between its lookup and its use: the same 401 as an unknown one.
    if (error instanceof OAuthError && error.error === 'invalid_token') throw unauthorized('the initial access token is invalid, expired or used up');
    throw error;
  });
  // RFC 7591 §3.2.1: 201 with the client information; never cached (it holds credentials).
  return json(clientInformation(ctx, client, { clientSecret, registrationAccessToken }), 201, NO_STORE);
}

/**
 * The client registration endpoint (RFC 7591 §3): `POST` client metadata as JSON, get `201` with
 * the client's id, its secret (confidential clients), its registration access token and the URI
 * to manage it (RFC 7592). Mounted only when `registration.policy` is not `off`.
 */
export const registrationEndpoint = endpoint(
  pipeline<EndpointInput>('registration').step(spendRegistrationBudget).step(admit).step(readJson).respond(register),
);

/**
 * The registered client the request's registration access token opens (RFC 7592 §2): 401 with the
 * challenge for a missing or wrong token and for an unknown client alike.
 */
async function authenticateRegistration({ ctx, request, id }: Pick<EndpointInput, 'ctx' | 'request' | 'id'>): Promise<{
  client: ClientRecord & { registration: ClientRegistration };
  token: string;
}> {
  const token = bearerToken(request);
  if (token === undefined) throw unauthorized();
  const client = await findRegisteredClient(ctx, id, token);
  if (!client?.registration) throw unauthorized('the registration access token is invalid');
  return { client: { ...client, registration: client.registration }, token };
}

/** RFC 7592 §2.1 (GET), §2.2 (PUT), §2.3 (DELETE). */
async function manage({
  ctx,
  request,
  client,
  token,
}: Pick<EndpointInput, 'ctx' | 'request'> & { client: ClientRecord & { registration: ClientRegistration }; token: string }): Promise<Response> {
  switch (request.method) {
    case 'PUT': {
      const { body } = await readJson({ ctx, request });
      const updated = await updateRegisteredClient(ctx, client, body);
      return json(clientInformation(ctx, updated, { registrationAccessToken: token }), 200, NO_STORE);
    }
    case 'DELETE':
      await deleteRegisteredClient(ctx, client);
      return new Response(null, { status: 204, headers: NO_STORE });
    default:
      return json(clientInformation(ctx, client, { registrationAccessToken: token }), 200, NO_STORE);
  }
}

/**
 * The client configuration endpoint (RFC 7592): a registered client reads (`GET`), replaces
 * (`PUT`) or deletes (`DELETE`) its registration with its registration access token.
 */
export const registrationClientEndpoint = endpoint(pipeline<EndpointInput>('registration-client').step(authenticateRegistration).respond(manage));
