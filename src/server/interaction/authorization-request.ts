import { OAuthError, type OAuthErrorCode } from '../../core/errors.js';
import type { ClientRecord, Json } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import type { FormParams } from '../http/form.js';
import { parseScope } from '../scope.js';
import { verifyIdTokenHint } from '../tokens/id-token.js';
import { matchRedirectUri } from './redirect-uri-match.js';
import { isKnownAcr } from '../mfa/policy.js';

export type ResponseMode = 'query' | 'form_post';
export type Prompt = 'none' | 'login' | 'consent' | 'select_account';

/** A validated authorization request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1, RFC 7636 §4.3). */
export interface AuthorizationRequest {
  [key: string]: Json | undefined;
  clientId: string;
  redirectUri: string;
  /** Whether `redirect_uri` was sent (then the token request must repeat it, RFC 6749 §4.1.3). */
  redirectUriGiven: boolean;
  responseMode: ResponseMode;
  scope: string[];
  state?: string;
  nonce?: string;
  codeChallenge: string;
  prompt: Prompt[];
  maxAge?: number;
  loginHint?: string;
  /** `sub` of a valid `id_token_hint`. */
  hintedSub?: string;
  acrValues: string[];
  /**
   * The values of an `acr` claim requested as essential in the `claims` parameter (OIDC Core
   * §5.5.1.1); `[]` for essential without values; absent when not requested as essential.
   */
  essentialAcr?: string[];
  uiLocales: string[];
}

/**
 * Where an error about an authorization request goes. Until the client and its redirect URI are
 * validated, errors are shown on a page and never redirected (RFC 6749 §4.1.2.1; no open redirect).
 */
export class AuthorizationError extends OAuthError {
  /** Set once the redirect URI is trusted: the error is then redirected to the client. */
  readonly target: { redirectUri: string; responseMode: ResponseMode; state: string | undefined } | undefined;
  constructor(error: OAuthErrorCode, description: string, target?: AuthorizationError['target']) {
    super(error, description);
    this.target = target;
  }
}

const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent', 'select_account'];
/** RFC 7636 §4.2: the S256 challenge is the base64url SHA-256 of the verifier: 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_PARAM_LENGTH = 2048;

/**
 * Validates an authorization request. First the client and redirect URI (errors shown on a page),
 * then everything else (errors redirected to the client with `state` and `iss`).
 */
export async function parseAuthorizationRequest(ctx: ServerContext, params: FormParams): Promise<{ request: AuthorizationRequest; client: ClientRecord }> {
  const clientId = params.get('client_id');
  if (clientId === undefined) throw new AuthorizationError('invalid_request', 'client_id is required');
  const client = await ctx.store.clients.get(clientId);
  if (!client) throw new AuthorizationError('invalid_client', 'the client is not registered');

  const given = params.get('redirect_uri');
  let redirectUri: string;
  if (given !== undefined) {
    if (!matchRedirectUri(client, given)) {
      throw new AuthorizationError('invalid_request', 'redirect_uri is not registered for this client');
    }
    redirectUri = given;
  } else if (client.redirectUris.length === 1 && !parseScopeLenient(params.get('scope')).includes('openid')) {
    // OAuth 2.1 §4.1.1: optional when exactly one is registered; OpenID Connect always requires it.
    redirectUri = client.redirectUris[0]!;
  } else {
    throw new AuthorizationError('invalid_request', 'redirect_uri is required');
  }

  const state = params.get('state');
  const modeParam = params.get('response_mode');
  const responseMode: ResponseMode = modeParam === 'form_post' ? 'form_post' : 'query';
  const fail = (error: OAuthErrorCode, description: string): never => {
    throw new AuthorizationError(error, description, { redirectUri, responseMode, state });
  };

  if (modeParam !== undefined && modeParam !== 'query' && modeParam !== 'form_post') {
    fail('invalid_request', 'response_mode is not supported (use query or form_post)');
  }
  if (params.get('request') !== undefined) fail('request_not_supported', 'request objects are not supported');
  if (params.get('request_uri') !== undefined) fail('request_uri_not_supported', 'request_uri is not supported');
  for (const name of ['state', 'nonce', 'login_hint', 'acr_values', 'ui_locales']) {
    if ((params.get(name)?.length ?? 0) > MAX_PARAM_LENGTH) fail('invalid_request', `${name} is too long`);
  }

  const responseType = params.get('response_type');
  if (responseType === undefined) fail('invalid_request', 'response_type is required');
  if (responseType !== 'code') fail('unsupported_response_type', 'only response_type=code is supported');
  if (!client.grantTypes.includes('authorization_code')) {
    fail('unauthorized_client', 'this client is not allowed to use the authorization code flow');
  }

  // PKCE is required for every client, S256 only (OAuth 2.1 §4.1.1, RFC 9700 §2.1.1).
  const codeChallenge = params.get('code_challenge');
  const method = params.get('code_challenge_method');
  if (codeChallenge === undefined) fail('invalid_request', 'code_challenge is required (PKCE with S256)');
  if (method !== 'S256') fail('invalid_request', 'code_challenge_method must be S256');
  if (!S256_CHALLENGE.test(codeChallenge!)) fail('invalid_request', 'code_challenge is not a valid S256 challenge');

  let scope: string[] = [];
  try {
    scope = parseScope(params.get('scope'));
  } catch (error) {
    fail('invalid_scope', (error as Error).message);
  }
  const allowed = parseScope(client.scope);
  const refused = scope.filter((token) => !allowed.includes(token));
  if (refused.length > 0) fail('invalid_scope', 'a requested scope is not allowed for this client');
  if (scope.length === 0) fail('invalid_scope', 'scope is required');

  const prompt = (params.get('prompt') ?? '').split(' ').filter(Boolean) as Prompt[];
  const unknownPrompt = prompt.find((value) => !PROMPTS.includes(value));
  if (unknownPrompt) fail('invalid_request', 'prompt holds a value that is not supported');
  if (prompt.includes('none') && prompt.length > 1) fail('invalid_request', 'prompt=none cannot be combined with other values');

  const maxAgeParam = params.get('max_age');
  let maxAge: number | undefined;
  if (maxAgeParam !== undefined) {
    maxAge = /^\d{1,10}$/.test(maxAgeParam) ? Number(maxAgeParam) : fail('invalid_request', 'max_age must be a non-negative integer');
  }

  let hintedSub: string | undefined;
  const idTokenHint = params.get('id_token_hint');
  if (idTokenHint !== undefined) {
    const hint = await verifyIdTokenHint(ctx, idTokenHint);
    if (!hint || !hint.audience.includes(client.clientId)) fail('invalid_request', 'id_token_hint is not a valid ID token of this server for this client');
    hintedSub = hint!.sub;
  }

  const essentialAcr = parseEssentialAcr(params.get('claims'), fail);

  return {
    client,
    request: {
      clientId: client.clientId,
      redirectUri,
      redirectUriGiven: given !== undefined,
      responseMode,
      scope,
      state,
      nonce: params.get('nonce'),
      codeChallenge: codeChallenge!,
      prompt,
      maxAge,
      loginHint: params.get('login_hint'),
      hintedSub,
      acrValues: (params.get('acr_values') ?? '').split(' ').filter(Boolean),
      ...(essentialAcr !== undefined ? { essentialAcr } : {}),
      uiLocales: (params.get('ui_locales') ?? '').split(' ').filter(Boolean),
    },
  };
}

/** Scope tokens for a decision made before the scope is validated. */
function parseScopeLenient(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter(Boolean);
}

/** Longest accepted `claims` parameter (a JSON object, OIDC Core §5.5). */
const MAX_CLAIMS_LENGTH = 8192;

/**
 * The essential `acr` of the `claims` parameter (OIDC Core §5.5, §5.5.1.1). Other claims are not
 * acted on. An essential `acr` none of whose values this server can meet is a failed
 * authentication before it starts (§5.5.1.1: "MUST treat that outcome as a failed authentication
 * attempt"): `access_denied`.
 */
function parseEssentialAcr(param: string | undefined, fail: (error: OAuthErrorCode, description: string) => never): string[] | undefined {
  if (param === undefined) return undefined;
  if (param.length > MAX_CLAIMS_LENGTH) fail('invalid_request', 'claims is too long');
  let claims: unknown;
  try {
    claims = JSON.parse(param);
  } catch {
    fail('invalid_request', 'claims must be a JSON object (OIDC Core section 5.5)');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) fail('invalid_request', 'claims must be a JSON object (OIDC Core section 5.5)');
  const acr = ((claims as Record<string, unknown>).id_token as Record<string, unknown> | undefined)?.acr as Record<string, unknown> | null | undefined;
  if (typeof acr !== 'object' || acr === null || acr.essential !== true) return undefined;
  const values = Array.isArray(acr.values) ? acr.values : typeof acr.value === 'string' ? [acr.value] : [];
  const strings = values.filter((value): value is string => typeof value === 'string');
  if (strings.length > 0 && !strings.some(isKnownAcr)) fail('access_denied', 'the essential acr requested cannot be met by this server');
  return strings;
}
