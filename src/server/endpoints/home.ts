import { faviconSvg, renderHomePage } from '../../ui/index.js';
import type { ServerContext } from '../context.js';
import { htmlResponse } from '../http/html.js';
import { pageBase } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';
import { loadSession } from '../session/sessions.js';
import { basePath, urlTo } from '../routes.js';

/** Where the home page's "Documentation" link goes: the package's page, which shows the README. */
const DOCUMENTATION_URL = 'https://www.npmjs.com/package/gatehouse';

/**
 * GET / (and GET {issuer path} when the issuer has one) — what this service is, with links to the
 * account page, the discovery document and the documentation, and who is signed in in this browser.
 * Someone who opens the issuer URL gets a page, not a JSON 404.
 */
export async function homePage(ctx: Pick<ServerContext, 'config' | 'request' | 'secrets' | 'store'>, request: Request): Promise<Response> {
  const { issuer } = ctx.config;
  const session = await loadSession(ctx, request);
  const user = session?.user;
  return htmlResponse(ctx, (nonce) =>
    renderHomePage({
      ...pageBase(ctx),
      ...pageLanguage(ctx, [], basePath(ctx.config) || '/'),
      nonce,
      issuer,
      accountUrl: urlTo(ctx, 'account'),
      discoveryUrl: `${issuer}/.well-known/openid-configuration`,
      documentationUrl: DOCUMENTATION_URL,
      ...(user ? { account: { ...(user.profile.name ? { name: user.profile.name } : {}), login: user.email ?? user.username } } : {}),
    }),
  );
}

/** The favicon is rendered once per server: the branding does not change while it runs. */
const favicons = new WeakMap<ServerContext, string>();

/**
 * GET /favicon.ico — the brand mark as SVG (browsers ask for this path by themselves). Cached for a
 * week; the SVG gets its own CSP, so even opened directly it can run nothing.
 */
export function favicon(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
): Response {
  let svg = favicons.get(ctx);
  if (svg === undefined) {
    svg = faviconSvg(pageBase(ctx).branding);
    favicons.set(ctx, svg);
  }
  return new Response(svg, {
    headers: {
      'Content-Type': 'image/svg+xml',
      'Cache-Control': 'public, max-age=604800',
      'Content-Security-Policy': "default-src 'none'",
      'Cross-Origin-Resource-Policy': 'same-origin',
    },
  });
}
