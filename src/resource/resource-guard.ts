import { createHash } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import * as oauth from 'oauth4webapi';
import { fetchWithDeadline, httpTimeout } from '../core/deadline-fetch.js';
import { ConfigError, OAuthError } from '../core/errors.js';
import { rejectUnknownOptions, requireHttps, requireObject, type OptionNames } from '../core/option-checks.js';
import {
  createDpopNonces,
  createMemoryDpopReplayCache,
  DPOP_ALGORITHMS,
  DPOP_DEFAULT_MAX_AGE,
  dpopHeaderOf,
  DpopProofError,
  verifyDpopProof,
  type DpopReplayCache,
} from '../core/dpop.js';
import { presentedTokenOf } from './bearer.js';
import { BearerTokenError, type ChallengeSchemes } from './errors.js';
import { createMemoryIntrospectionCache, type IntrospectionCache } from './introspection-cache.js';
import {
  answerResourceMetadata,
  publishResourceMetadata,
  type ProtectedResourceMetadataOptions,
  type PublishedResourceMetadata,
} from './protected-resource-metadata.js';

/** Asymmetric algorithms only: never `none`, never HMAC (whose "secret" could be the public key). */
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$|^ES256K$/;
const DEFAULT_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'ES384', 'RS384', 'PS384', 'ES512', 'RS512', 'PS512', 'EdDSA', 'Ed25519'];

export interface ResourceGuardOptions {
  /** The authorization server's issuer; its metadata (RFC 8414) gives the JWKS and introspection URLs. */
  issuer: string;
  /** This API's identifier(s): a token must name one in `aud`. */
  audience: string | string[];
  /** Scopes every request must have. Routes can ask for more. */
  requiredScopes?: string[];
  /** Accepted JWS algorithms. Default: the asymmetric ones. `none` and `HS*` are refused. */
  algorithms?: string[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 30. */
  clockTolerance?: number;
  /** Minimum seconds between JWKS fetches triggered by an unknown `kid`. Default 30. */
  jwksCooldown?: number;
  /** Seconds the JWKS is trusted before it is fetched again. Default 600. */
  jwksCacheMaxAge?: number;
  /**
   * Introspection mode (RFC 7662): ask the authorization server about every token (cached), for
   * opaque tokens or when a revocation must be seen within `maxCacheAge`.
   */
  introspection?: {
    clientId: string;
    clientSecret: string;
    /** Default: an in-memory LRU cache of 10 000 answers. */
    cache?: IntrospectionCache;
    /** Longest time an answer is reused, in seconds; never past the token's `exp`. Default 60. */
    maxCacheAge?: number;
  };
  /** `realm` of the `WWW-Authenticate` challenge. Default `api`. */
  realm?: string;
  /**
   * This API's protected-resource metadata (RFC 9728). When set, the glue serves the document at
   * `/.well-known/oauth-protected-resource[/path]` and every challenge carries `resource_metadata`.
   */
  resourceMetadata?: ProtectedResourceMetadataOptions;
  /** `fetch` for the authorization server (proxies, tests). */
  fetch?: typeof fetch;
  /**
   * Deadline of each request to the authorization server (metadata, JWKS, introspection), answer
   * included, in milliseconds. A request that cannot be verified in time is answered 503, never
   * 401. Default 5000.
   */
  timeoutMs?: number;
  /** Allows a plain-http authorization server (local development and tests only). */
  allowInsecureRequests?: boolean;
  now?: () => number;
  /**
   * DPoP (RFC 9449 §7). Without this option a DPoP-bound token (`cnf.jkt`) is still accepted, with
   * a valid proof under the `DPoP` scheme, and refused as a Bearer token; proofs are remembered in
   * memory.
   */
  dpop?: ResourceGuardDpopOptions;
}

/** The guard's DPoP settings (RFC 9449 §7, §9). */
export interface ResourceGuardDpopOptions {
  /** Refuse tokens that are not DPoP-bound, and the Bearer scheme. Default false. */
  required?: boolean;
  /**
   * Require a nonce this API issued in every proof (§9): a secret (32 bytes or more) from which
   * nonces are derived per five-minute window, so every instance with the same secret accepts
   * them. A proof without it gets `401 use_dpop_nonce` with a `DPoP-Nonce` header. Default: no nonce.
   */
  nonceSecret?: string;
  /**
   * Where spent proofs are recorded (`jti`, §11.1). Default: in this process's memory. With several
   * instances behind one URL, share one: `createRedisDpopReplayCache(redis)`.
   */
  replayCache?: DpopReplayCache;
  /** Seconds a proof may be old (`iat`), 5 s of clock leeway either way. Default 60. */
  maxAge?: number;
  /**
   * This API's public origin (`https://api.example.com`) when it runs behind a proxy that changes
   * the URL the application sees: a proof's `htu` is compared with this origin and the request's
   * path. Default: the request's own URL.
   */
  publicOrigin?: string;
}

/** A verified access token. */
export interface VerifiedAccessToken {
  sub: string | undefined;
  clientId: string | undefined;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number | undefined;
  /** All claims (JWT) or the introspection response. */
  claims: Record<string, unknown>;
}

/** The authorization server could not be reached for keys or introspection: answer 503, not 401. */
export class ResourceGuardUnavailableError extends Error {
  readonly code = 'ERR_GUARD_UNAVAILABLE';
}

export interface ResourceGuard {
  /** Verifies the request's bearer token and required scopes. @throws {BearerTokenError} */
  authenticate(request: Request, options?: { scopes?: string[] }): Promise<VerifiedAccessToken>;
  /**
   * Verifies a bearer token given directly. A sender-constrained (DPoP-bound) token, or any token
   * while `dpop.required` is on, is refused: its proof can only be checked with the request
   * ({@link authenticate}). @throws {BearerTokenError}
   */
  verify(token: string, options?: { scopes?: string[] }): Promise<VerifiedAccessToken>;
  /** Like {@link authenticate}, but answers with the error Response instead of throwing. */
  check(
    request: Request,
    options?: { scopes?: string[] },
  ): Promise<{ token: VerifiedAccessToken; response?: undefined } | { token?: undefined; response: Response }>;
  /** Wraps a fetch handler so it runs only for requests with a valid token. */
  protect(
    handler: (request: Request, token: VerifiedAccessToken) => Response | Promise<Response>,
    options?: { scopes?: string[] },
  ): (request: Request) => Promise<Response>;
  /**
   * The protected-resource metadata document (RFC 9728 §3.2) when `request` asks for it (`GET` or
   * `HEAD` at one of its well-known paths; another method gets 405), `undefined` for any other
   * request or when `resourceMetadata` is not configured. The glue calls it before any token check.
   */
  serveMetadata(request: Request): Response | undefined;
  /** Absolute URL of the metadata document, sent as `resource_metadata` in challenges; `undefined` without `resourceMetadata`. */
  readonly resourceMetadataUrl: string | undefined;
  readonly realm: string;
  /** The schemes its challenges offer (RFC 9449 §7.1). */
  readonly schemes: ChallengeSchemes;
}

/**
 * Protects an API with access tokens from an authorization server. JWT access tokens (RFC 9068)
 * are verified locally against the issuer's JWKS — no network round trip once the keys are
 * cached; an unknown `kid` triggers at most one refetch per cooldown, so a flood of forged tokens
 * cannot hammer the issuer. Introspection mode (RFC 7662) asks the issuer instead, with a cache.
 *
 * @example
 * const guard = createResourceGuard({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * export const GET = guard.protect((request, token) => Response.json({ hello: token.sub }), { scopes: ['notes:read'] });
 */
export function createResourceGuard(options: ResourceGuardOptions): ResourceGuard {
  validate(options);
  const realm = options.realm ?? 'api';
  const audiences = Array.isArray(options.audience) ? options.audience : [options.audience];
  const published: PublishedResourceMetadata | undefined = options.resourceMetadata
    ? publishResourceMetadata(options.resourceMetadata, {
        issuer: options.issuer,
        audiences,
        allowInsecureRequests: options.allowInsecureRequests,
        dpop: options.dpop ? { algorithms: DPOP_ALGORITHMS, required: options.dpop.required === true } : undefined,
      })
    : undefined;
  const challenge = { realm, resourceMetadataUrl: published?.url };
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  const now = options.now ?? Date.now;
  const timeoutMs = httpTimeout(options.timeoutMs);
  const fetcher = fetchWithDeadline(options.fetch ?? globalThis.fetch.bind(globalThis), timeoutMs);
  const requestOptions = { [oauth.customFetch]: fetcher, ...(options.allowInsecureRequests ? { [oauth.allowInsecureRequests]: true } : {}) };
  const cache = options.introspection ? (options.introspection.cache ?? createMemoryIntrospectionCache({ now })) : undefined;

  let metadata: Promise<oauth.AuthorizationServer> | undefined;
  const server = () => {
    metadata ??= discover(options.issuer, requestOptions).catch((error: unknown) => {
      metadata = undefined;
      throw new ResourceGuardUnavailableError(`cannot read the metadata of ${options.issuer}`, { cause: error });
    });
    return metadata;
  };
  let jwks: JWTVerifyGetKey | undefined;

  const verifyJwt = async (token: string): Promise<Record<string, unknown>> => {
    const as = await server();
    if (!as.jwks_uri) throw new ResourceGuardUnavailableError('the issuer publishes no jwks_uri');
    jwks ??= createRemoteJWKSet(new URL(as.jwks_uri), {
      cooldownDuration: (options.jwksCooldown ?? 30) * 1000,
      cacheMaxAge: (options.jwksCacheMaxAge ?? 600) * 1000,
      timeoutDuration: timeoutMs,
      [customFetch]: fetcher,
    });
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: as.issuer,
        audience: audiences,
        algorithms,
        typ: 'at+jwt',
        clockTolerance: options.clockTolerance ?? 30,
        currentDate: new Date(now()),
        requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
      });
      return payload;
    } catch (error) {
      // The key set could not be fetched (timeout, network, non-200, not a JWK Set): the token may
      // be fine, so this is "try later" (503), never invalid_token (RFC 6750 §3.1).
      const fetchFailed =
        error instanceof joseErrors.JWKSTimeout ||
        error instanceof joseErrors.JWKSInvalid ||
        (error instanceof joseErrors.JOSEError && error.constructor === joseErrors.JOSEError) ||
        (error instanceof TypeError && !(error instanceof joseErrors.JOSEError));
      if (fetchFailed) throw new ResourceGuardUnavailableError('cannot fetch the issuer keys', { cause: error });
      throw new BearerTokenError('invalid_token', describeJoseError(error));
    }
  };

  const introspect = async (token: string): Promise<Record<string, unknown>> => {
    const settings = options.introspection!;
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = await cache!.get(key).catch((error: unknown) => {
      throw new ResourceGuardUnavailableError('the introspection cache failed', { cause: error });
    });
    let claims = cached?.claims;
    if (!claims) {
      const as = await server();
      try {
        const response = await oauth.introspectionRequest(
          as,
          { client_id: settings.clientId },
          oauth.ClientSecretBasic(settings.clientSecret),
          token,
          requestOptions,
        );
        claims = await oauth.processIntrospectionResponse(as, { client_id: settings.clientId }, response);
      } catch (error) {
        throw new ResourceGuardUnavailableError('token introspection failed', { cause: error });
      }
      const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
      await cache!.set(key, { claims, until: Math.min(exp, now() + (settings.maxCacheAge ?? 60) * 1000) }).catch((error: unknown) => {
        throw new ResourceGuardUnavailableError('the introspection cache failed', { cause: error });
      });
    }
    if (claims.active !== true) throw new BearerTokenError('invalid_token', 'the access token is not active');
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= now()) throw new BearerTokenError('invalid_token', 'the access token expired');
    // RFC 7662 §2.2 token_type: a refresh token, also "active", must never pass as an access token.
    if (claims.token_type !== undefined && (typeof claims.token_type !== 'string' || !/^(bearer|dpop|access_token)$/i.test(claims.token_type))) {
      throw new BearerTokenError('invalid_token', 'the token is not an access token');
    }
    // The audience must name this API; an answer without one does not (RFC 9068 §4, RFC 8707).
    const aud = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((value) => audiences.includes(String(value)))) {
      throw new BearerTokenError('invalid_token', 'the access token is not meant for this API');
    }
    return claims;
  };

  const verifyToken = async (token: string, verifyOptions: { scopes?: string[] } = {}): Promise<VerifiedAccessToken> => {
    const claims = options.introspection ? await introspect(token) : await verifyJwt(token);
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
    const needed = [...(options.requiredScopes ?? []), ...(verifyOptions.scopes ?? [])];
    const missing = needed.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) throw new BearerTokenError('insufficient_scope', `the access token lacks scope ${missing.join(' ')}`, [...new Set(needed)]);
    return {
      sub: typeof claims.sub === 'string' ? claims.sub : undefined,
      clientId: typeof claims.client_id === 'string' ? claims.client_id : undefined,
      scopes,
      expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined,
      claims,
    };
  };

  const dpopOptions = options.dpop ?? {};
  const schemes: ChallengeSchemes = { bearer: dpopOptions.required !== true, dpop: options.dpop !== undefined, dpopAlgorithms: DPOP_ALGORITHMS };
  const replayCache = dpopOptions.replayCache ?? createMemoryDpopReplayCache({ now });
  const nonces = dpopOptions.nonceSecret === undefined ? undefined : createDpopNonces({ secret: dpopOptions.nonceSecret, now });
  const dpopError = (error: BearerTokenError['error'], description: string) => new BearerTokenError(error, description, undefined, { scheme: 'DPoP' });

  /**
   * RFC 9449 §7: the proof of a token under the DPoP scheme, for this request's method and URL,
   * its `ath` the token's hash; a bound token's key must be the proof's. A bound token sent as
   * Bearer is refused (§7.2); an unbound one under the DPoP scheme is accepted with its proof
   * (unless DPoP is required).
   */
  const checkBinding = async (request: Request, token: string, scheme: 'Bearer' | 'DPoP', claims: Record<string, unknown>) => {
    const cnf = claims.cnf as { jkt?: unknown } | undefined;
    const jkt = typeof cnf?.jkt === 'string' ? cnf.jkt : undefined;
    // RFC 7800 §3.1: a token confirmed by a method other than DPoP's jkt (mTLS `x5t#S256`, RFC 8705,
    // or one malformed) is sender-constrained all the same: this guard cannot check it, so never a bearer token.
    if (cnf !== undefined && jkt === undefined)
      throw new BearerTokenError('invalid_token', 'the access token is bound by a confirmation method this API cannot check');
    if (scheme === 'Bearer') {
      if (jkt !== undefined) {
        throw new BearerTokenError('invalid_token', 'a DPoP-bound access token must be sent with the DPoP scheme and a proof', undefined, { offerDpop: true });
      }
      return;
    }
    let proof;
    try {
      const header = dpopHeaderOf(request);
      if (header === undefined) throw dpopError('invalid_dpop_proof', 'a DPoP token needs a DPoP proof');
      proof = await verifyDpopProof(header, {
        method: request.method,
        url: dpopOptions.publicOrigin === undefined ? request.url : dpopOptions.publicOrigin + new URL(request.url).pathname,
        now: now(),
        replay: replayCache,
        nonces,
        accessToken: token,
        maxAge: dpopOptions.maxAge ?? DPOP_DEFAULT_MAX_AGE,
      });
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      throw new BearerTokenError(error.error, error.message, undefined, {
        scheme: 'DPoP',
        dpopNonce: error.error === 'use_dpop_nonce' ? nonces?.current() : undefined,
      });
    }
    if (jkt === undefined && dpopOptions.required === true) throw dpopError('invalid_token', 'the access token is not DPoP-bound');
    if (jkt !== undefined && proof.jkt !== jkt) throw dpopError('invalid_token', 'the DPoP proof key is not the one the token is bound to');
  };

  const authenticate = async (request: Request, verifyOptions?: { scopes?: string[] }) => {
    const presented = presentedTokenOf(request);
    if (presented === undefined) throw new BearerTokenError(undefined, 'an access token is required');
    if (presented.scheme === 'Bearer' && dpopOptions.required === true) throw dpopError('invalid_token', 'this API requires DPoP-bound access tokens');
    const verified = await verifyToken(presented.token, verifyOptions).catch((error: unknown) => {
      // An error about a token sent under the DPoP scheme is answered in that scheme (RFC 9449 §7.1).
      if (presented.scheme === 'DPoP' && error instanceof BearerTokenError)
        throw new BearerTokenError(error.error, error.message, error.scope, { scheme: 'DPoP' });
      throw error;
    });
    await checkBinding(request, presented.token, presented.scheme, verified.claims);
    return verified;
  };

  /**
   * A token given without its request: only a bearer token can be accepted so. A sender-constrained
   * one (`cnf`, RFC 7800 §3.1), or any token while DPoP is required, needs the proof of the request
   * it came with (RFC 9449 §7.2: else whoever holds a stolen bound token uses it as a bearer token).
   */
  const verify: ResourceGuard['verify'] = async (token, verifyOptions) => {
    const verified = await verifyToken(token, verifyOptions);
    if (verified.claims.cnf !== undefined || dpopOptions.required === true) {
      throw new BearerTokenError('invalid_token', 'a sender-constrained access token is accepted only with its request (authenticate)', undefined, {
        offerDpop: true,
      });
    }
    return verified;
  };

  const check: ResourceGuard['check'] = async (request, checkOptions) => {
    try {
      return { token: await authenticate(request, checkOptions) };
    } catch (error) {
      return { response: errorResponse(error, { ...challenge, schemes }) };
    }
  };

  const serveMetadata = (request: Request) => (published ? answerResourceMetadata(published, request) : undefined);

  return {
    realm,
    resourceMetadataUrl: published?.url,
    schemes,
    authenticate,
    verify,
    check,
    serveMetadata,
    protect: (handler, protectOptions) => async (request) => {
      // The metadata document is public: it tells a client without a token where to get one.
      const metadata = serveMetadata(request);
      if (metadata) return metadata;
      const result = await check(request, protectOptions);
      return result.response ?? handler(request, result.token);
    },
  };
}

/**
 * The Response for a guard failure: RFC 6750 errors (their challenge with `resource_metadata`
 * when the guard publishes metadata, RFC 9728 §5.1), or 503 when the issuer cannot be reached.
 */
export function errorResponse(error: unknown, guard: Pick<ResourceGuard, 'realm' | 'resourceMetadataUrl' | 'schemes'>): Response {
  if (error instanceof BearerTokenError) return error.toResponse(guard.realm, guard.resourceMetadataUrl, guard.schemes);
  if (error instanceof ResourceGuardUnavailableError) {
    return new OAuthError('temporarily_unavailable', error.message, { status: 503, headers: { 'Retry-After': '5' } }).toResponse();
  }
  throw error;
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the access token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the access token's ${error.claim} claim is not valid here`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'the access token was signed by an unknown key';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the access token uses an algorithm that is not allowed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature is not valid';
  return 'the access token is not valid';
}

async function discover(issuer: string, requestOptions: Record<symbol, unknown>): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  for (const algorithm of ['oauth2', 'oidc'] as const) {
    try {
      const response = await oauth.discoveryRequest(url, { algorithm, ...requestOptions });
      return await oauth.processDiscoveryResponse(url, response);
    } catch (error) {
      if (algorithm === 'oidc') throw error;
    }
  }
  throw new Error('unreachable');
}

/** Every option of {@link createResourceGuard}: anything else is refused as a likely typo. */
const GUARD_OPTIONS = {
  issuer: true,
  audience: true,
  requiredScopes: true,
  algorithms: true,
  clockTolerance: true,
  jwksCooldown: true,
  jwksCacheMaxAge: true,
  introspection: true,
  realm: true,
  resourceMetadata: true,
  fetch: true,
  timeoutMs: true,
  allowInsecureRequests: true,
  now: true,
  dpop: true,
} satisfies OptionNames<ResourceGuardOptions>;

const DPOP_OPTIONS = {
  required: true,
  nonceSecret: true,
  replayCache: true,
  maxAge: true,
  publicOrigin: true,
} satisfies OptionNames<ResourceGuardDpopOptions>;

const INTROSPECTION_OPTIONS = {
  clientId: true,
  clientSecret: true,
  cache: true,
  maxCacheAge: true,
} satisfies OptionNames<NonNullable<ResourceGuardOptions['introspection']>>;

function validate(options: ResourceGuardOptions): void {
  const fail = (option: string, message: string): never => {
    throw new ConfigError(`option "${option}" ${message}`, 'ERR_INVALID_OPTION', option);
  };
  requireObject(options, 'options');
  rejectUnknownOptions(options, GUARD_OPTIONS);
  if (options.dpop !== undefined) {
    requireObject(options.dpop, 'dpop');
    rejectUnknownOptions(options.dpop, DPOP_OPTIONS, 'dpop.');
    const { maxAge, nonceSecret, publicOrigin, replayCache } = options.dpop;
    if (maxAge !== undefined && !(typeof maxAge === 'number' && Number.isFinite(maxAge) && maxAge >= 1 && maxAge <= 3600))
      fail('dpop.maxAge', 'must be a number of seconds from 1 to 3600');
    if (nonceSecret !== undefined && !(typeof nonceSecret === 'string' && nonceSecret.length >= 32))
      fail('dpop.nonceSecret', 'must be a string of 32 characters or more');
    if (publicOrigin !== undefined && !(typeof publicOrigin === 'string' && URL.canParse(publicOrigin) && new URL(publicOrigin).origin === publicOrigin))
      fail('dpop.publicOrigin', 'must be an origin such as https://api.example.com (no path, no trailing slash)');
    if (replayCache !== undefined && typeof (replayCache as { spend?: unknown }).spend !== 'function')
      fail('dpop.replayCache', 'must have a spend(key, expiresAt) method');
  }
  if (options.introspection !== undefined) {
    requireObject(options.introspection, 'introspection');
    rejectUnknownOptions(options.introspection, INTROSPECTION_OPTIONS, 'introspection.');
  }
  if (typeof options.issuer !== 'string' || !URL.canParse(options.issuer)) fail('issuer', 'must be an absolute URL');
  // Plain http is refused here, not answered 503 "cannot read the metadata" at every request.
  requireHttps(options.issuer, 'issuer', options.allowInsecureRequests);
  const audiences = Array.isArray(options.audience) ? options.audience : [options.audience];
  if (audiences.length === 0 || audiences.some((value) => typeof value !== 'string' || value === ''))
    fail('audience', 'must be a non-empty string or list of strings');
  if (options.algorithms?.length === 0) fail('algorithms', 'must list at least one algorithm');
  for (const name of ['clockTolerance', 'jwksCooldown', 'jwksCacheMaxAge'] as const) {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) fail(name, 'must be a number of seconds, 0 or more');
  }
  const maxCacheAge = options.introspection?.maxCacheAge;
  if (maxCacheAge !== undefined && !(Number.isFinite(maxCacheAge) && maxCacheAge >= 0))
    fail('introspection.maxCacheAge', 'must be a number of seconds, 0 or more');
  for (const algorithm of options.algorithms ?? []) {
    if (!ASYMMETRIC.test(algorithm)) fail('algorithms', `must list asymmetric algorithms only; "${algorithm}" is not allowed`);
  }
  if (options.introspection && (!options.introspection.clientId || !options.introspection.clientSecret)) {
    fail('introspection', 'needs clientId and clientSecret');
  }
}
