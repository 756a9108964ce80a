import { createHash } from 'node:crypto';
import type { ClientContext } from './context.js';
import { OAuthValidationError } from './errors.js';
import { boundContext } from './sessions/binding.js';
import { parseCookies, setCookie } from '../core/cookies.js';

/** What the application remembers between sending the user to the provider and the callback. */
export interface Transaction {
  state: string;
  nonce: string | undefined;
  codeVerifier: string;
  /** Relative path to return to after sign-in. */
  returnTo: string | undefined;
  createdAt: number;
}

/** The sign-in cookie lives 10 minutes: long enough to sign in, short enough to be useless later. */
const TRANSACTION_TTL_SECONDS = 600;
const CONTEXT = 'gatehouse-client/transaction';

/**
 * One cookie per sign-in attempt, named from the `state` it belongs to, so two tabs signing in at
 * once do not overwrite each other's PKCE verifier and nonce.
 */
function cookieName(ctx: ClientContext, state: string): string {
  const tag = createHash('sha256').update(state).digest('base64url').slice(0, 12);
  return `${ctx.cookiePrefix}_tx_${tag}`;
}

/**
 * Additional data of a sign-in cookie: its name and the client (cookie prefix, client id, provider
 * issuer), so a sign-in started at one application never completes at another sharing its secret.
 */
const sealedFor = (ctx: ClientContext, name: string) => boundContext(CONTEXT, ctx.binding, name);

/** The `Set-Cookie` value holding the transaction, encrypted (AES-256-GCM) and bound to its name and client. */
export function transactionCookie(ctx: ClientContext, transaction: Transaction): string {
  const name = cookieName(ctx, transaction.state);
  const value = ctx.secretKeys.encrypt(JSON.stringify(transaction), sealedFor(ctx, name));
  return setCookie(name, value, { secure: ctx.secureCookies, maxAge: TRANSACTION_TTL_SECONDS });
}

/** The `Set-Cookie` value clearing the sign-in cookie of a `state` (none without a state). */
export function clearTransactionCookie(ctx: ClientContext, state: string | undefined): string[] {
  return state ? [setCookie(cookieName(ctx, state), '', { secure: ctx.secureCookies, maxAge: 0 })] : [];
}

/** Reads and decrypts the transaction of the callback's `state`; clears its cookie either way. */
export function readTransaction(ctx: ClientContext, request: Request, state: string | undefined): { transaction: Transaction; clear: string } {
  if (!state) throw new OAuthValidationError('state_mismatch', 'the callback has no state parameter');
  const name = cookieName(ctx, state);
  const clear = clearTransactionCookie(ctx, state)[0]!;
  const value = parseCookies(request).get(name);
  if (!value) {
    throw new OAuthValidationError('missing_transaction', 'no sign-in is in progress for this state (expired, already used, or started in another browser)');
  }
  let transaction: Transaction;
  try {
    transaction = JSON.parse(ctx.secretKeys.decrypt(value, sealedFor(ctx, name))) as Transaction;
  } catch (cause) {
    throw new OAuthValidationError('missing_transaction', 'the sign-in cookie is not valid', { cause });
  }
  if (ctx.now() - transaction.createdAt > TRANSACTION_TTL_SECONDS * 1000) {
    throw new OAuthValidationError('missing_transaction', 'the sign-in attempt expired');
  }
  return { transaction, clear };
}

/**
 * A safe place to return to: a path on this site, never another origin (no open redirect,
 * RFC 9700 §4.11). Whitespace and control characters are refused outright, because browsers strip
 * them from URLs (`/\t/evil.example` becomes `//evil.example`); what remains must resolve to the
 * same origin.
 */
export function safeReturnTo(returnTo: string | undefined): string | undefined {
  if (returnTo === undefined || !returnTo.startsWith('/') || /[\s\p{Cc}\\]/u.test(returnTo)) return undefined;
  const base = 'https://app.invalid';
  return URL.canParse(returnTo, base) && new URL(returnTo, base).origin === base ? returnTo : undefined;
}
