import { randomBytes, randomInt } from 'node:crypto';
import type { Json } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { spendAttempt, spendAttemptUntil, type SpentAttempt } from '../mfa/attempt-budget.js';

/**
 * What an emailed link (and its code) is for. Each purpose is its own namespace: a reset link
 * never verifies an email, a verification code never signs anyone in. `sign_up`: the address of a
 * pending sign-up (no account exists until it is confirmed).
 */
export type AccountTokenPurpose = 'verify_email' | 'password_reset' | 'invitation' | 'email_sign_in' | 'email_change' | 'sign_up';

/** What a link or code stands for: whose account, which address, and what the purpose adds. */
export interface AccountTokenValue {
  [key: string]: Json | undefined;
  /** The account, or `''` for an invitation (the account does not exist yet). */
  userId: string;
  /** The address the message went to (the new address, for an email change). */
  email: string;
}

/** A link's secret and, when asked for, the 6-digit code that stands for the same thing. */
export interface IssuedAccountToken {
  /** 256 bits, base64url: goes in the emailed link, never stored (only its keyed hash). */
  token: string;
  /** Six digits, for reading mail on another device; only its keyed hash is stored. */
  code?: string;
  expiresAt: number;
  /** The link's stored id (the keyed hash of its secret): names it for {@link revokeAccountTokenById}. */
  id: string;
}

/** Artifact kinds: the link (keyed by the hash of its secret), and the code (keyed by purpose and account). */
const LINK = 'account_link';
const CODE = 'account_code';
/** A code gets this many tries; then only a new one (or the link) works. */
const CODE_ATTEMPTS = 5;

/** Who the links of a purpose belong to: issuing a new one ends the ones before. */
const ownerOf = (purpose: AccountTokenPurpose, key: string) => `account:${purpose}:${key}`;
const linkId = (ctx: Pick<ServerContext, 'secrets'>, purpose: AccountTokenPurpose, token: string) => ctx.secrets.hash(`${purpose}:${token}`, LINK);
const codeId = (purpose: AccountTokenPurpose, key: string) => `${purpose}:${key}`;

interface StoredCode {
  [key: string]: Json;
  hash: string;
  /** The link the code stands for, ended with it. */
  link: string;
  issuedAt: number;
}

/**
 * Issues a single-use link (and, with `code`, a 6-digit code) for `purpose`, valid for `ttlMs`.
 * Only keyed hashes are stored. A new link for the same purpose and `key` (by default the account)
 * ends the earlier ones, so only the newest email works; with `replace: false` they stay (links
 * kept together under one key to be listed, such as invitations under `invitations`).
 */
export async function issueAccountToken(
  ctx: Pick<ServerContext, 'clock' | 'secrets' | 'store'>,
  purpose: AccountTokenPurpose,
  value: AccountTokenValue,
  ttlMs: number,
  options: { code?: boolean; key?: string; replace?: boolean } = {},
): Promise<IssuedAccountToken> {
  const { artifacts } = ctx.store;
  const now = ctx.clock.now();
  const key = options.key ?? value.userId;
  const owner = ownerOf(purpose, key);
  if (options.replace !== false) await artifacts.deleteByOwner(owner);
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + ttlMs;
  const link = linkId(ctx, purpose, token);
  await artifacts.put({ kind: LINK, id: link, value: { ...value, issuedAt: now }, ownerId: owner, expiresAt });
  if (!options.code) return { token, expiresAt, id: link };
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const stored: StoredCode = { hash: ctx.secrets.hash(code, CODE), link, issuedAt: now };
  await artifacts.put({ kind: CODE, id: codeId(purpose, key), value: stored, ownerId: owner, expiresAt });
  return { token, code, expiresAt, id: link };
}

/** A usable link as stored: its id (the keyed hash of its secret), what it stands for, and when it ends. */
export interface PeekedAccountLink<T extends AccountTokenValue = AccountTokenValue> {
  id: string;
  value: T;
  expiresAt: number;
}

/** The link while it can still be used (unexpired, unused), without using it: for a page that shows a form. */
export async function peekAccountLink<T extends AccountTokenValue = AccountTokenValue>(
  ctx: Pick<ServerContext, 'secrets' | 'store'>,
  purpose: AccountTokenPurpose,
  token: string,
): Promise<PeekedAccountLink<T> | undefined> {
  if (!isTokenShaped(token)) return undefined;
  const record = await ctx.store.artifacts.get(LINK, linkId(ctx, purpose, token));
  return record?.consumedAt === null ? { id: record.id, value: record.value as unknown as T, expiresAt: record.expiresAt } : undefined;
}

/** The link's value while it can still be used, without using it ({@link peekAccountLink}). */
export async function peekAccountToken<T extends AccountTokenValue = AccountTokenValue>(
  ctx: Pick<ServerContext, 'secrets' | 'store'>,
  purpose: AccountTokenPurpose,
  token: string,
): Promise<T | undefined> {
  return (await peekAccountLink<T>(ctx, purpose, token))?.value;
}

/**
 * Passwords one emailed link (a reset, an invitation) may have checked over its whole life: each
 * check runs the password policy (zxcvbn) and, when it passes, argon2id, for anyone holding the link.
 */
export const PASSWORD_TRIES_PER_LINK = 10;

/**
 * Spends one of the link's {@link PASSWORD_TRIES_PER_LINK} tries, before the password it carries is
 * checked: an atomic slot in the store, keyed by the link's stored id, kept until the link ends. Of
 * any number of concurrent posts at most that many are allowed; then the link is spent for good
 * (not allowed: ask for a new one).
 */
export function spendLinkTry(ctx: Pick<ServerContext, 'store'>, link: Pick<PeekedAccountLink, 'id' | 'expiresAt'>): Promise<SpentAttempt> {
  return spendAttemptUntil(ctx, `account-link:${link.id}`, PASSWORD_TRIES_PER_LINK, link.expiresAt);
}

/**
 * Uses the link: returns its value to exactly one caller however many race (the store's atomic
 * consume), `undefined` when unknown, expired or used. Its code dies with it.
 */
export async function consumeAccountToken<T extends AccountTokenValue = AccountTokenValue>(
  ctx: Pick<ServerContext, 'clock' | 'secrets' | 'store'>,
  purpose: AccountTokenPurpose,
  token: string,
): Promise<T | undefined> {
  if (!isTokenShaped(token)) return undefined;
  const record = await ctx.store.artifacts.consume(LINK, linkId(ctx, purpose, token), ctx.clock.now());
  if (!record) return undefined;
  const value = record.value as unknown as T;
  await ctx.store.artifacts.delete(CODE, codeId(purpose, keyOfRecord(record.ownerId, purpose)));
  return value;
}

export type AccountCodeCheck<T> =
  | { ok: true; value: T }
  /** `lastTry`: this refusal took the last of the code's tries (the next one is `locked`). */
  | { ok: false; reason: 'wrong' | 'expired'; lastTry: boolean }
  | { ok: false; reason: 'locked'; retryAt: number };

/** Which tries a code check spends: a new `round` (a new code) starts five new ones, within windows of `windowMs`. */
export interface CodeTries {
  round: number;
  windowMs: number;
}

/** The tries of a check that found no code: a stand-in round, in windows as long as a day-long code's. */
const NO_CODE_TRIES: CodeTries = { round: 0, windowMs: 2 * 86_400_000 };
/** Compared with when no code exists: the length of a stored hash (so the comparison runs in full), matching nothing. */
const NO_CODE_HASH = 'A'.repeat(43);

/**
 * Checks a 6-digit code for `purpose` and `key` (the account): at most five tries per code, each
 * spent before the code is compared (so concurrent guesses cannot exceed them); a right code uses
 * up the code and its link, for exactly one caller.
 *
 * The work is the same whether or not a code exists (one lookup, one try spent from the budget of
 * `purpose` and `key`, one comparison), so neither the answer nor its time tells them apart. A
 * caller for whom that matters (sign-in by email: no code exists for an unknown address) passes
 * `tries`, the round it knows without knowing whether a code exists (when the code was asked
 * for): then an address without a code locks exactly as one with a code. Otherwise a code's round
 * is when it was issued.
 */
export async function checkAccountCode<T extends AccountTokenValue = AccountTokenValue>(
  ctx: Pick<ServerContext, 'clock' | 'secrets' | 'store'>,
  purpose: AccountTokenPurpose,
  key: string,
  code: string,
  tries?: CodeTries,
): Promise<AccountCodeCheck<T>> {
  const { artifacts } = ctx.store;
  const id = codeId(purpose, key);
  const found = await artifacts.get<StoredCode>(CODE, id);
  const stored = found?.consumedAt === null ? found : undefined;
  const { round, windowMs } =
    tries ?? (stored ? { round: stored.value.issuedAt, windowMs: Math.max(stored.expiresAt - stored.value.issuedAt, 60_000) * 2 } : NO_CODE_TRIES);
  const attempt = await spendAttempt(ctx, `account-code:${id}:${round}`, CODE_ATTEMPTS, windowMs);
  if (!attempt.allowed) return { ok: false, reason: 'locked', retryAt: stored?.expiresAt ?? attempt.retryAt };
  const typed = code.replace(/\s+/g, '');
  const right = /^\d{6}$/.test(typed) && ctx.secrets.verifyHash(typed, CODE, stored?.value.hash ?? NO_CODE_HASH);
  if (!stored || !right) return { ok: false, reason: stored ? 'wrong' : 'expired', lastTry: attempt.last };
  const now = ctx.clock.now();
  if (!(await artifacts.consume(CODE, id, now))) return { ok: false, reason: 'expired', lastTry: attempt.last };
  const link = await artifacts.consume(LINK, stored.value.link, now);
  return link ? { ok: true, value: link.value as unknown as T } : { ok: false, reason: 'expired', lastTry: attempt.last };
}

/** Ends every unused link and code of `purpose` for `key` (the account, or an invitation's address). */
export async function revokeAccountTokens(ctx: Pick<ServerContext, 'store'>, purpose: AccountTokenPurpose, key: string): Promise<number> {
  return ctx.store.artifacts.deleteByOwner(ownerOf(purpose, key));
}

/** The unused links of `purpose` kept under `key`, newest first (pending invitations, say). */
export async function listAccountTokens(
  ctx: Pick<ServerContext, 'store'>,
  purpose: AccountTokenPurpose,
  key: string,
  limit = 1000,
): Promise<{ id: string; value: AccountTokenValue; expiresAt: number }[]> {
  const records = await ctx.store.artifacts.listByOwner(LINK, ownerOf(purpose, key), limit);
  return records
    .filter((record) => record.consumedAt === null)
    .map((record) => ({ id: record.id, value: record.value as unknown as AccountTokenValue, expiresAt: record.expiresAt }));
}

/** Ends one link by its stored id (from {@link listAccountTokens}). */
export async function revokeAccountTokenById(ctx: Pick<ServerContext, 'store'>, id: string): Promise<boolean> {
  return ctx.store.artifacts.delete(LINK, id);
}

/** A link secret as issued (43 base64url characters); anything else is not looked up at all. */
function isTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

function keyOfRecord(ownerId: string | null, purpose: AccountTokenPurpose): string {
  const prefix = `account:${purpose}:`;
  return ownerId?.startsWith(prefix) ? ownerId.slice(prefix.length) : '';
}
