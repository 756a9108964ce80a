/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the document a resource server publishes about
 * itself, so that a client that meets it for the first time (an MCP client, say) learns which
 * authorization server issues its tokens and which scopes to ask for.
 */
import { ConfigError } from '../core/errors.js';
import { isLoopbackHost } from '../core/urls.js';
import { rejectUnknownOptions, requireHttps, requireObject, type OptionNames } from '../core/option-checks.js';

/** The well-known URI suffix registered by RFC 9728 §3. */
export const RESOURCE_METADATA_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * The guard's protected-resource metadata (RFC 9728 §2), camelCased; each is published under its
 * snake_case name. `bearer_methods_supported` is always `["header"]`, the one method the guard
 * accepts, and is not an option.
 */
export interface ProtectedResourceMetadataOptions {
  /**
   * The resource identifier (`resource`): an https URL without query or fragment (RFC 9728 §1.2,
   * RFC 8707 §2); plain http only for a loopback host. It must be one of the guard's `audience`
   * values, since clients that follow the metadata ask for tokens with this `resource`.
   */
  resource: string;
  /** Issuer identifiers of the authorization servers (`authorization_servers`). Default: the guard's `issuer`. */
  authorizationServers?: string[];
  /** Scopes a client may ask for to use this resource (`scopes_supported`). */
  scopesSupported?: string[];
  /** Human-readable name (`resource_name`), e.g. for a consent screen. */
  resourceName?: string;
  /** Page with developer documentation (`resource_documentation`). */
  resourceDocumentation?: string;
  /** Page describing how clients may use the data (`resource_policy_uri`). */
  resourcePolicyUri?: string;
  /** Terms of service page (`resource_tos_uri`). */
  resourceTosUri?: string;
}

/** The published metadata: the document, and where it lives. */
export interface PublishedResourceMetadata {
  /** The JSON document (RFC 9728 §2); `resource` is the configured identifier, character for character (§3.3). */
  document: Readonly<Record<string, unknown>>;
  /** Absolute URL of the document, as `resource_metadata` in challenges (§5.1). */
  url: string;
  /** The request paths that answer the document: the RFC 9728 §3.1 one, and the host-level one. */
  paths: readonly string[];
}

const METADATA_OPTIONS = {
  resource: true,
  authorizationServers: true,
  scopesSupported: true,
  resourceName: true,
  resourceDocumentation: true,
  resourcePolicyUri: true,
  resourceTosUri: true,
} satisfies OptionNames<ProtectedResourceMetadataOptions>;

/** A scope token (RFC 6749 §3.3). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The metadata URL of a resource identifier (RFC 9728 §3.1): the well-known segment inserted
 * between the host and the path, `https://api.example/mcp` →
 * `https://api.example/.well-known/oauth-protected-resource/mcp`. A terminating slash is kept,
 * as oauth4webapi's `resourceDiscoveryRequest` keeps it.
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  return `${url.origin}${RESOURCE_METADATA_WELL_KNOWN}${url.pathname === '/' ? '' : url.pathname}`;
}

/**
 * Validates the `resourceMetadata` option and builds the document, once, at construction.
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION` naming the bad option (`resourceMetadata.<name>`).
 */
export function publishResourceMetadata(
  options: ProtectedResourceMetadataOptions,
  guard: {
    issuer: string;
    audiences: readonly string[];
    allowInsecureRequests: boolean | undefined;
    /** The guard's DPoP settings, when it has any: published as RFC 9728 §2 says. */
    dpop?: { algorithms: readonly string[]; required: boolean } | undefined;
  },
): PublishedResourceMetadata {
  requireObject(options, 'resourceMetadata');
  rejectUnknownOptions(options, METADATA_OPTIONS, 'resourceMetadata.');
  const fail = (name: string, message: string): never => {
    const option = `resourceMetadata.${name}`;
    throw new ConfigError(`option "${option}" ${message}`, 'ERR_INVALID_OPTION', option);
  };

  const { resource } = options;
  if (typeof resource !== 'string' || !URL.canParse(resource)) fail('resource', 'must be an absolute URL');
  const parsed = new URL(resource);
  if (!isWebUrl(parsed)) fail('resource', 'must be an https URL (http only for a loopback host)');
  if (parsed.hash !== '' || resource.includes('#')) fail('resource', 'must not have a fragment (RFC 8707 §2)');
  if (parsed.search !== '' || resource.includes('?')) fail('resource', 'must not have a query (RFC 8707 §2)');
  // Clients that follow the metadata ask for tokens with `resource` (RFC 8707), whose `aud` is then
  // this identifier: one the guard refuses would make every discovered token useless.
  if (!guard.audiences.includes(resource)) fail('resource', 'must be one of the audience values: tokens for it must pass the guard');

  const authorizationServers = options.authorizationServers ?? [guard.issuer];
  if (!Array.isArray(authorizationServers) || authorizationServers.length === 0) fail('authorizationServers', 'must list at least one issuer');
  for (const issuer of authorizationServers) {
    if (typeof issuer !== 'string' || !URL.canParse(issuer)) fail('authorizationServers', 'must list absolute issuer URLs');
    requireHttps(issuer, 'resourceMetadata.authorizationServers', guard.allowInsecureRequests);
  }

  const scopes = options.scopesSupported;
  if (scopes !== undefined && (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string' || !SCOPE_TOKEN.test(scope))))
    fail('scopesSupported', 'must be a list of scope tokens (RFC 6749 §3.3)');

  const name = options.resourceName;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) fail('resourceName', 'must be a non-empty string');

  const pages = { resourceDocumentation: 'resource_documentation', resourcePolicyUri: 'resource_policy_uri', resourceTosUri: 'resource_tos_uri' } as const;
  for (const option of Object.keys(pages) as (keyof typeof pages)[]) {
    const value = options[option];
    if (value !== undefined && !(typeof value === 'string' && URL.canParse(value) && isWebUrl(new URL(value))))
      fail(option, 'must be an https URL (http only for a loopback host)');
  }

  const document: Record<string, unknown> = {
    resource,
    authorization_servers: [...authorizationServers],
    bearer_methods_supported: ['header'],
    ...(scopes ? { scopes_supported: [...scopes] } : {}),
    ...(name !== undefined ? { resource_name: name } : {}),
    // RFC 9728 §2: the proof algorithms the guard accepts, and whether it requires DPoP.
    ...(guard.dpop ? { dpop_signing_alg_values_supported: [...guard.dpop.algorithms], dpop_bound_access_tokens_required: guard.dpop.required } : {}),
  };
  for (const [option, wireName] of Object.entries(pages)) {
    const value = options[option as keyof typeof pages];
    if (value !== undefined) document[wireName] = value;
  }
  const url = resourceMetadataUrl(resource);
  const path = new URL(url).pathname;
  return {
    document: Object.freeze(document),
    url,
    paths: path === RESOURCE_METADATA_WELL_KNOWN ? [path] : [path, RESOURCE_METADATA_WELL_KNOWN],
  };
}

/** Public, cacheable, readable by browser apps on any origin: like the authorization server's discovery. */
const METADATA_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'public, max-age=300',
  'Access-Control-Allow-Origin': '*',
};

/**
 * The answer to a request for the metadata document (RFC 9728 §3.2), or `undefined` when the
 * request is for something else. `GET` and `HEAD` get the document; another method gets 405.
 * The host is not compared (proxies rewrite it); the path is.
 */
export function answerResourceMetadata(published: PublishedResourceMetadata, request: Request): Response | undefined {
  if (!published.paths.includes(new URL(request.url).pathname)) return undefined;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response(null, { status: 405, headers: { Allow: 'GET, HEAD' } });
  }
  const body = request.method === 'HEAD' ? null : JSON.stringify(published.document);
  return new Response(body, { status: 200, headers: METADATA_HEADERS });
}

/** https, or http on a loopback host (local development). */
function isWebUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
