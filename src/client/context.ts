import * as oauth from 'oauth4webapi';
import { ConfigError } from '../core/errors.js';
import { fetchWithDeadline, httpTimeout } from '../core/deadline-fetch.js';
import { MIN_SECRET_LENGTH, SecretKeys } from '../core/secret.js';
import { resolveDPoPOption, SessionDPoPHandles, type DPoPOptions, type DPoPSettings } from './dpop.js';
import { translateError } from './errors.js';
import { rejectUnknownOptions, requireHttps, requireObject, type OptionNames } from '../core/option-checks.js';
import { oidc } from './providers/oidc.js';
import type { ProviderPreset } from './providers/preset.js';
import { clientBinding, type SessionBinding } from './sessions/binding.js';
import type { TokenStore } from './sessions/session.js';

/** Options of {@link createOAuthClient}. */
export interface OAuthClientOptions {
  /** A preset (`google()`, `github()`, `oidc(issuer)`, ...). Or give `issuer` for any OpenID provider. */
  provider?: ProviderPreset;
  /** Shorthand for `provider: oidc(issuer)`. */
  issuer?: string;
  clientId: string;
  /** Omit for a public client (PKCE only). */
  clientSecret?: string;
  /** How the client authenticates at the token endpoint. Default: `client_secret_basic` with a secret, else `none`. */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** The callback URL registered with the provider. */
  redirectUri: string;
  /** Scopes to request. Default: the preset's. */
  scopes?: string[];
  /**
   * Resource indicator(s) (RFC 8707) sent with every token request, so access tokens are issued
   * for that API (`aud`).
   */
  resource?: string | string[];
  /** At least 32 characters. Encrypts the sign-in cookie, cookie sessions and stored tokens. */
  secret: string;
  /** Server-side sessions. Default: the session lives encrypted in the browser's cookies. */
  tokenStore?: TokenStore;
  /** Session lifetime in seconds. Default 604800 (7 days). */
  sessionTtl?: number;
  /** Refresh this many seconds before the access token expires. Default 60. */
  refreshLeeway?: number;
  /** Where the provider sends the browser after RP-initiated logout. */
  postLogoutRedirectUri?: string;
  /** Cookie name prefix. Default `gh`. */
  cookiePrefix?: string;
  /**
   * Allows plain-http provider endpoints. For local development and tests against loopback
   * providers only: tokens would travel in clear text otherwise.
   */
  allowInsecureRequests?: boolean;
  /** `fetch` to use for every provider request (proxies, tests). */
  fetch?: typeof fetch;
  /**
   * Deadline of each request to the provider (discovery, token, UserInfo, JWKS, revocation and the
   * preset's API calls), answer included, in milliseconds; a request past it rejects with a
   * `TimeoutError`. Default 5000.
   */
  timeoutMs?: number;
  /** The time source, milliseconds. */
  now?: () => number;
  /**
   * DPoP (RFC 9449): sender-constrained tokens. Each session gets its own key pair at sign-in; the
   * code exchange, refreshes, UserInfo and {@link OAuthClient.fetch} carry proofs signed with it,
   * and a `use_dpop_nonce` answer is retried once with the nonce. `true`: ES256, and a provider that
   * issues a bearer token instead is refused (`OAuthValidationError`, `dpop_not_bound`). Default off.
   */
  dpop?: boolean | DPoPOptions;
}

/** Every option of {@link createOAuthClient}: anything else is refused as a likely typo. */
const OAUTH_CLIENT_OPTIONS = {
  provider: true,
  issuer: true,
  clientId: true,
  clientSecret: true,
  clientAuthMethod: true,
  redirectUri: true,
  scopes: true,
  resource: true,
  secret: true,
  tokenStore: true,
  sessionTtl: true,
  refreshLeeway: true,
  postLogoutRedirectUri: true,
  cookiePrefix: true,
  allowInsecureRequests: true,
  fetch: true,
  timeoutMs: true,
  now: true,
  dpop: true,
} satisfies OptionNames<OAuthClientOptions>;

/** The provider endpoints oauth4webapi will call, by the metadata names a preset may give. */
const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'revocation_endpoint', 'end_session_endpoint', 'jwks_uri'] as const;

/** What every step of the client works with, built once. */
export interface ClientContext {
  preset: ProviderPreset;
  options: OAuthClientOptions;
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
  secretKeys: SecretKeys;
  scopes: string[];
  secureCookies: boolean;
  cookiePrefix: string;
  /** Who this client is (cookie prefix, client id, provider issuer): bound into every session and sign-in cookie it makes. */
  binding: SessionBinding;
  sessionTtl: number;
  refreshLeeway: number;
  now: () => number;
  /** `fetch` for the provider, with the deadline of `timeoutMs` on every call. */
  fetch: typeof fetch;
  /** The deadline of one request to the provider, in milliseconds. */
  timeoutMs: number;
  /** Options every oauth4webapi request takes (custom fetch, insecure-http switch). */
  requestOptions: { [oauth.customFetch]: typeof fetch; [oauth.allowInsecureRequests]?: boolean };
  /**
   * Options of ID-token signature checks: the request options plus a JWKS cache shared by every
   * check, so keys are fetched once (and again only for an unknown `kid`).
   */
  signatureOptions: ClientContext['requestOptions'] & { [oauth.jwksCache]: oauth.JWKSCacheInput };
  /** Options of token requests: the request options plus RFC 8707 `resource`. */
  tokenRequestOptions: ClientContext['requestOptions'] & { additionalParameters?: [string, string][] };
  /** The provider's metadata, discovered once and cached (retried after a failure). */
  server(): Promise<oauth.AuthorizationServer>;
  /** DPoP, when the `dpop` option is on: its settings, and whether the token store keeps key objects. */
  dpop: (DPoPSettings & { keepsObjects: boolean }) | undefined;
  /** The DPoP handles of sessions that have a key. */
  dpopHandles: SessionDPoPHandles;
  /** Options of requests to protected resources ({@link OAuthClient.fetch}): the application's `fetch`, without the provider deadline. */
  resourceRequestOptions: ClientContext['requestOptions'];
}

function option(condition: boolean, name: string, message: string): void {
  if (!condition) throw new ConfigError(`option "${name}" ${message}`, 'ERR_INVALID_OPTION', name);
}

/** Validates options once and builds the context. */
export function createClientContext(options: OAuthClientOptions): ClientContext {
  requireObject(options, 'options');
  rejectUnknownOptions(options, OAUTH_CLIENT_OPTIONS);
  option(options.provider !== undefined || typeof options.issuer === 'string', 'provider', 'or "issuer" is required');
  option(typeof options.clientId === 'string' && options.clientId !== '', 'clientId', 'must be a non-empty string');
  option(typeof options.redirectUri === 'string' && URL.canParse(options.redirectUri), 'redirectUri', 'must be an absolute URL');
  option(typeof options.secret === 'string' && options.secret.length >= MIN_SECRET_LENGTH, 'secret', `must be at least ${MIN_SECRET_LENGTH} characters`);
  const method = options.clientAuthMethod ?? (options.clientSecret ? 'client_secret_basic' : 'none');
  option(['client_secret_basic', 'client_secret_post', 'none'].includes(method), 'clientAuthMethod', 'must be client_secret_basic, client_secret_post or none');
  option(method === 'none' || typeof options.clientSecret === 'string', 'clientSecret', `is required for ${method}`);
  if (options.issuer !== undefined) option(URL.canParse(options.issuer), 'issuer', 'must be an absolute URL');
  if (options.sessionTtl !== undefined)
    option(Number.isInteger(options.sessionTtl) && options.sessionTtl > 0, 'sessionTtl', 'must be a positive whole number of seconds');
  if (options.refreshLeeway !== undefined)
    option(Number.isInteger(options.refreshLeeway) && options.refreshLeeway >= 0, 'refreshLeeway', 'must be a whole number of seconds');
  for (const resource of [options.resource ?? []].flat())
    option(URL.canParse(resource) && !resource.includes('#'), 'resource', 'must be absolute URIs without a fragment (RFC 8707 §2)');
  if (options.postLogoutRedirectUri !== undefined) option(URL.canParse(options.postLogoutRedirectUri), 'postLogoutRedirectUri', 'must be an absolute URL');
  const dpop = resolveDPoPOption(options.dpop, false);

  const preset = options.provider ?? oidc(options.issuer!);
  // Plain http fails at construction, not at the first sign-in (oauth4webapi would refuse it then).
  if (preset.issuer !== undefined) requireHttps(preset.issuer, options.provider ? 'provider.issuer' : 'issuer', options.allowInsecureRequests);
  for (const endpoint of ENDPOINTS) {
    const url = preset.metadata?.[endpoint];
    if (typeof url === 'string') requireHttps(url, `provider.metadata.${endpoint}`, options.allowInsecureRequests);
  }
  const cookiePrefix = options.cookiePrefix ?? 'gh';
  const timeoutMs = httpTimeout(options.timeoutMs);
  // Under the preset's adaptations: every request they make has the deadline.
  const baseFetch = fetchWithDeadline(options.fetch ?? globalThis.fetch.bind(globalThis), timeoutMs);
  const adapted = preset.adaptFetch ? preset.adaptFetch(baseFetch) : baseFetch;
  const requestOptions: ClientContext['requestOptions'] = {
    [oauth.customFetch]: adapted,
    ...(options.allowInsecureRequests ? { [oauth.allowInsecureRequests]: true } : {}),
  };
  const clientAuth =
    method === 'client_secret_basic'
      ? oauth.ClientSecretBasic(options.clientSecret!)
      : method === 'client_secret_post'
        ? oauth.ClientSecretPost(options.clientSecret!)
        : oauth.None();

  let discovered: Promise<oauth.AuthorizationServer> | undefined;
  const server = (): Promise<oauth.AuthorizationServer> => {
    discovered ??= resolveServer(preset, requestOptions).catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };

  const client: oauth.Client = { client_id: options.clientId, [oauth.clockTolerance]: 30 };
  return {
    preset,
    options,
    client,
    clientAuth,
    secretKeys: new SecretKeys(options.secret),
    scopes: options.scopes ?? preset.defaultScopes,
    secureCookies: new URL(options.redirectUri).protocol === 'https:',
    cookiePrefix,
    binding: clientBinding(preset, options.clientId, cookiePrefix),
    sessionTtl: options.sessionTtl ?? 604_800,
    refreshLeeway: options.refreshLeeway ?? 60,
    now: options.now ?? Date.now,
    fetch: adapted,
    timeoutMs,
    requestOptions,
    signatureOptions: { ...requestOptions, [oauth.jwksCache]: {} },
    tokenRequestOptions: {
      ...requestOptions,
      ...(options.resource ? { additionalParameters: [options.resource].flat().map((value): [string, string] => ['resource', value]) } : {}),
    },
    server,
    dpop: dpop && { ...dpop, keepsObjects: options.tokenStore?.keepsObjects === true },
    dpopHandles: new SessionDPoPHandles(client),
    resourceRequestOptions: {
      [oauth.customFetch]: options.fetch ?? globalThis.fetch.bind(globalThis),
      ...(options.allowInsecureRequests ? { [oauth.allowInsecureRequests]: true } : {}),
    },
  };
}

/**
 * oauth4webapi exports these two hooks without typings; openid-client uses them for exactly this
 * case (Entra ID multi-tenant issuers). Kept in one place so an upgrade that drops them fails here.
 */
const entraHooks = oauth as unknown as { _nodiscoverycheck: URL; _expectedIssuer: symbol };

async function resolveServer(preset: ProviderPreset, requestOptions: ClientContext['requestOptions']): Promise<oauth.AuthorizationServer> {
  if (preset.metadata) return preset.metadata;
  const issuer = new URL(preset.issuer!);
  try {
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions });
    const metadata = await oauth.processDiscoveryResponse(preset.issuerTemplate ? entraHooks._nodiscoverycheck : issuer, response);
    if (!preset.issuerTemplate) return metadata;
    // Entra ID multi-tenant: the ID token's iss names the user's tenant (tid) in the template's place.
    return {
      ...metadata,
      [entraHooks._expectedIssuer]: ({ claims }: { claims: { tid?: string } }) => metadata.issuer.replace('{tenantid}', String(claims.tid)),
    };
  } catch (error) {
    throw await translateError(error);
  }
}
