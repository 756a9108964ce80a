import { englishDetail } from '../../ui/message-text.js';
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { EndpointInput } from '../http/endpoint.js';
import { parseForm, readForm, type FormParams } from '../http/form.js';
import { errorPage } from '../http/pages.js';
import type { AuthorizationRequest, Prompt, RequestedClaims, ResponseMode } from './request.js';

/**
 * The one parameter an authorization request may repeat (RFC 8707 §2's `resource`), wherever one
 * is read: the query or form, a pushed request (RFC 9126), a request object (RFC 9101).
 */
export const AUTHORIZATION_REPEATABLE: readonly string[] = ['resource'];

/**
 * The request's parameters: the query of a GET, the form of a POST (OIDC Core §3.1.2.1). A body that
 * cannot be read (wrong type, repeated parameter, too large) gets an error page: nothing is trusted
 * yet to redirect to.
 */

export async function readAuthorizationParams({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ params: FormParams } | Response> {
  try {
    const params =
      request.method === 'POST'
        ? await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes, repeatable: AUTHORIZATION_REPEATABLE })
        : parseForm(new URL(request.url).search.slice(1), AUTHORIZATION_REPEATABLE);
    return { params };
  } catch (error) {
    if (error instanceof OAuthError) {
      return errorPage(
        ctx,
        400,
        { key: 'error.invalidRequest.title' },
        { key: 'error.invalidRequest.message', values: { detail: englishDetail(error.message) } },
      );
    }
    throw error;
  }
}

const words = (value: string | undefined): string[] => (value ?? '').split(' ').filter(Boolean);

/**
 * The languages of the page a refusal shows before the redirect URI is trusted: the request's
 * `ui_locales` (OIDC Core §3.1.2.1), as sent (a pushed request's or request object's own are read
 * later, into the authorization request).
 */
export function readRefusalLocales({ params }: { params: FormParams }): { refusalLocales: string[] } {
  return { refusalLocales: words(params.get('ui_locales')) };
}

/** What the named checks validated, as the request the rest of the flow (and the interaction) keeps. */
export interface Checked {
  params: FormParams;
  client: ClientRecord;
  redirectUri: string;
  redirectUriGiven: boolean;
  responseMode: ResponseMode;
  codeChallenge: string | undefined;
  scope: string[];
  prompt: Prompt[];
  maxAge: number | undefined;
  hintedSub: string | undefined;
  essentialAcr: string[] | undefined;
  requestedClaims: RequestedClaims | undefined;
  claimedSub: string | undefined;
  resources: string[];
  dpopJkt?: string | undefined;
}

/** Assembles the validated authorization request from what the checks established. */
export function buildAuthorizationRequest(c: Checked): { authorization: AuthorizationRequest } {
  const { params } = c;
  return {
    authorization: {
      clientId: c.client.clientId,
      redirectUri: c.redirectUri,
      redirectUriGiven: c.redirectUriGiven,
      responseMode: c.responseMode,
      scope: c.scope,
      state: params.get('state'),
      nonce: params.get('nonce'),
      ...(c.codeChallenge !== undefined ? { codeChallenge: c.codeChallenge } : {}),
      prompt: c.prompt,
      maxAge: c.maxAge,
      loginHint: params.get('login_hint'),
      // OIDC Core §5.5.1: a claims sub value names the user as id_token_hint does (checkClaims: never another).
      hintedSub: c.hintedSub ?? c.claimedSub,
      acrValues: words(params.get('acr_values')),
      ...(c.essentialAcr !== undefined ? { essentialAcr: c.essentialAcr } : {}),
      ...(c.requestedClaims !== undefined ? { requestedClaims: c.requestedClaims } : {}),
      uiLocales: words(params.get('ui_locales')),
      ...(c.resources.length > 0 ? { resources: c.resources } : {}),
      ...(c.dpopJkt !== undefined ? { dpopJkt: c.dpopJkt } : {}),
    },
  };
}
