import type { ClientRecord, UserRecord } from '../../stores/contract.js';
import {
  renderConsentPage,
  renderErrorPage,
  renderLoginPage,
  renderSelectAccountPage,
  type ClientSummary,
} from '../../ui/index.js';
import type { ServerContext } from '../context.js';
import { htmlResponse } from '../http/html.js';
import { csrfToken } from '../session/browser.js';
import type { Upstream } from '../upstream/upstreams.js';
import type { Interaction } from './interactions.js';

/** The client as shown on pages: name, and logo and home page when registered (https only). */
export function clientSummary(client: ClientRecord): ClientSummary {
  const logo = typeof client.extra.logo_uri === 'string' && client.extra.logo_uri.startsWith('https://') ? client.extra.logo_uri : undefined;
  const uri = typeof client.extra.client_uri === 'string' && client.extra.client_uri.startsWith('https://') ? client.extra.client_uri : undefined;
  return { name: client.clientName, ...(logo ? { logoUri: logo } : {}), ...(uri ? { uri } : {}) };
}

function accountOf(user: UserRecord): { name?: string; login: string } {
  return { ...(user.profile.name ? { name: user.profile.name } : {}), login: user.email ?? user.username };
}

/** Where "Continue with …" sends the browser, for the login page's form-action. */
function upstreamOrigin(upstream: Upstream): string[] {
  const { provider } = upstream.options;
  const url = provider.metadata?.authorization_endpoint ?? provider.issuer;
  return url ? [url] : [];
}

/** Paths of an interaction's pages, below the issuer's path. */
export function interactionPath(ctx: ServerContext, id: string, action?: 'login' | 'consent' | 'select-account'): string {
  return `${ctx.options.issuerUrl.pathname.replace(/\/$/, '')}/interaction/${id}${action ? `/${action}` : ''}`;
}

interface PageContext {
  ctx: ServerContext;
  interaction: Interaction;
  client: ClientRecord;
  browserId: string;
  setCookies: string[];
}

/**
 * Branding and language of every page. The pages exist in English only, so `ui_locales` is not
 * used for `lang`: declaring another language over English text misleads screen readers.
 */
export function pageBase(ctx: ServerContext) {
  const { branding } = ctx.options;
  return {
    branding: { productName: branding.productName, primaryColor: branding.primaryColor, ...(branding.logoUrl ? { logoUrl: branding.logoUrl } : {}) },
    lang: 'en',
  };
}

export function loginPage(page: PageContext, error?: string): Response {
  const { ctx, interaction, client } = page;
  const request = interaction.state.request;
  return htmlResponse(
    ctx,
    (nonce) =>
      renderLoginPage({
        ...pageBase(ctx),
        nonce,
        action: interactionPath(ctx, interaction.id, 'login'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        client: clientSummary(client),
        ...(request.loginHint ? { loginHint: request.loginHint } : {}),
        ...(error ? { error } : {}),
        upstreams: [...ctx.upstreams.values()].map((upstream) => ({
          label: upstream.label,
          action: `${interactionPath(ctx, interaction.id)}/upstream/${upstream.id}`,
        })),
      }),
    // With consent remembered, a successful sign-in redirects on to the client; "Continue with …"
    // redirects to the upstream provider: browsers check both against form-action.
    {
      setCookies: page.setCookies,
      status: error ? 401 : 200,
      formActions: [request.redirectUri, ...[...ctx.upstreams.values()].flatMap((upstream) => upstreamOrigin(upstream))],
    },
  );
}

export function consentPage(page: PageContext, user: UserRecord): Response {
  const { ctx, interaction, client } = page;
  const request = interaction.state.request;
  return htmlResponse(
    ctx,
    (nonce) =>
      renderConsentPage({
        ...pageBase(ctx),
        nonce,
        action: interactionPath(ctx, interaction.id, 'consent'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        client: clientSummary(client),
        account: accountOf(user),
        scopes: request.scope,
      }),
    // Approving redirects to the client: browsers check that redirect against form-action.
    { setCookies: page.setCookies, formActions: [request.redirectUri] },
  );
}

export function selectAccountPage(page: PageContext, user: UserRecord): Response {
  const { ctx, interaction, client } = page;
  return htmlResponse(
    ctx,
    (nonce) =>
      renderSelectAccountPage({
        ...pageBase(ctx),
        nonce,
        action: interactionPath(ctx, interaction.id, 'select-account'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        client: clientSummary(client),
        account: accountOf(user),
      }),
    { setCookies: page.setCookies, formActions: [interaction.state.request.redirectUri] },
  );
}

/** An error page; never shows internals, only what is passed. */
export function errorPage(ctx: ServerContext, status: number, title: string, message: string, requestId?: string, setCookies: string[] = []): Response {
  return htmlResponse(
    ctx,
    (nonce) => renderErrorPage({ ...pageBase(ctx), nonce, title, message, ...(requestId ? { requestId } : {}) }),
    { status, setCookies },
  );
}
