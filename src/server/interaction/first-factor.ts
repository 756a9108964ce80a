import type { ClientRecord, UserRecord } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { errorPage } from '../http/pages.js';
import { acrFor, mfaRequirement } from '../mfa/policy.js';
import { startSession } from '../session/sessions.js';
import { wrongUserResponse } from './advance.js';
import { advanceInteractionState, earned, type Interaction } from './interactions.js';
import { EXPIRED_MESSAGE, EXPIRED_TITLE, toInteraction } from './pages.js';

/** How the first factor was passed: its methods (RFC 8176), and the upstream provider for `fed`. */
export interface FirstFactor {
  amr: string[];
  provider?: string;
  /** Cookies to set with the answer (an upstream sign-in clears its own). */
  cookies?: string[];
  /** How, in the audit log's words, when `amr` alone does not say (`email_code`, `email_link`). */
  method?: string;
}

/**
 * After the first factor (password, upstream provider): when the MFA policy asks for a second one,
 * the interaction remembers the user and the page asks for it — no session exists until then.
 * Otherwise the session starts now. Either way the browser goes on to the interaction's next step.
 */
export async function firstFactorPassed(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
  request: Request,
  interaction: Interaction,
  client: ClientRecord,
  user: UserRecord,
  { amr, provider, cookies = [], method }: FirstFactor,
): Promise<Response> {
  const { hintedSub: hinted, uiLocales } = interaction.state.request;
  // OIDC Core §3.1.2.1: another user than the one `id_token_hint` names ends the request (before any second factor).
  if (hinted !== undefined && hinted !== user.id) return wrongUserResponse(ctx, interaction, cookies);
  const mfa = await mfaRequirement(ctx, client, interaction.state.request, user.id);
  const base = { ...interaction.state, accountChosen: user.id, loginRequested: false };
  if (mfa.required) {
    const next = await advanceInteractionState(ctx, interaction, { ...base, pendingUser: user.id, pendingAmr: amr, pendingProvider: provider });
    if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE, { uiLocales });
    await ctx.audit.record(auditEvent('mfa.challenge', { client_id: client.clientId, sub: user.id }));
    return toInteraction(ctx, next.id, cookies);
  }
  const next = await advanceInteractionState(ctx, interaction, { ...base, loggedIn: earned(user.id, ctx.clock.now()) });
  if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE, { uiLocales });
  const { setCookie } = await startSession(ctx, request, user, { amr, acr: acrFor(amr), ...(provider ? { provider } : {}) }, client.clientId);
  await ctx.audit.record(auditEvent('login.succeeded', { client_id: client.clientId, sub: user.id, amr, ...(method ? { method } : {}) }));
  return toInteraction(ctx, next.id, [...cookies, setCookie]);
}
