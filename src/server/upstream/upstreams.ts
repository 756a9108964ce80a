import { createOAuthClient, type OAuthClient } from '../../client/oauth-client.js';
import type { UpstreamOptions } from '../options.js';
import type { ServerConfig } from '../context.js';
import type { Clock } from '../../core/clock.js';
import { urlTo } from '../routes.js';

/** A configured upstream provider and the client that talks to it. */
export interface Upstream {
  id: string;
  label: string;
  options: UpstreamOptions;
  client: OAuthClient;
}

/** The redirect URI to register at the provider. */
function upstreamRedirectUri(config: Pick<ServerConfig, 'issuerUrl'>, id: string): string {
  return urlTo({ config }, 'upstreamCallback', { upstream: id });
}

/**
 * Builds one Gatehouse client (relying party) per upstream. Their sign-in cookies are prefixed per
 * upstream, and encrypted under a key separate from the server's own.
 */
export function createUpstreams(options: ServerConfig, clock: Clock): Map<string, Upstream> {
  const upstreams = new Map<string, Upstream>();
  for (const upstream of options.upstreams) {
    const client = createOAuthClient({
      provider: upstream.provider,
      clientId: upstream.clientId,
      ...(upstream.clientSecret ? { clientSecret: upstream.clientSecret } : {}),
      redirectUri: upstreamRedirectUri(options, upstream.id),
      ...(upstream.scopes ? { scopes: upstream.scopes } : {}),
      secret: `${options.secret}/upstream/${upstream.id}`,
      cookiePrefix: `gh_up_${upstream.id.replace(/-/g, '_')}`,
      ...(upstream.allowInsecureRequests ? { allowInsecureRequests: true } : {}),
      ...(upstream.fetch ? { fetch: upstream.fetch } : {}),
      ...(upstream.timeoutMs === undefined ? {} : { timeoutMs: upstream.timeoutMs }),
      now: () => clock.now(),
    });
    const label = upstream.label ?? upstream.id.charAt(0).toUpperCase() + upstream.id.slice(1);
    upstreams.set(upstream.id, { id: upstream.id, label, options: upstream, client });
  }
  return upstreams;
}
