import { operatorId, randomToken } from '../../core/encoding.js';
import type { GrantType } from '../../stores/contract.js';
import { AdminInputError, AdminNotFoundError } from '../admin/input-error.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { supportedGrantTypes } from '../grants/index.js';

/**
 * Initial access tokens (RFC 7591 §3, "initial access token"): what an operator hands a developer so
 * that their client may register itself at the registration endpoint (`registration.policy`
 * `initial-access-token`, or beyond what `open` admits). Issued by `gatehouse registration tokens
 * create` and the admin API; 256 random bits, stored only as a keyed hash (an artifact that expires
 * with the token); scoped (the client types and grant types it may register); used at most
 * `maxUses` times, counted atomically by the store.
 *
 * The uses are counted with one single-use artifact per use (`registration_iat_use`,
 * `{hash}:{n}`): a registration takes the first it can consume, so of any number of concurrent
 * registrations exactly `maxUses` get one, on every store, across instances and restarts (the
 * store's atomic `consume`, proven by the contract suite). The price is up to `maxUses` consumes
 * for a registration once the token is used up, hence the bound {@link MAX_USES}.
 */

/** Artifact kind of a token (its id: the keyed hash of the token). */
const TOKEN_KIND = 'registration_iat';
/** Artifact kind of one use of a token (its id: `{token hash}:{n}`). */
const USE_KIND = 'registration_iat_use';
/** Every token is owned by this one key, so that they can be listed. */
const TOKENS_OWNER = 'registration-iats';
/** Keys the hash of a token. */
const TOKEN_PURPOSE = 'registration-initial-access-token';

/** Bounds of a token's uses and lifetime. */
export const INITIAL_ACCESS_TOKEN_LIMITS = { maxUses: 100, defaultTtlSeconds: 7 * 86_400, minTtlSeconds: 60, maxTtlSeconds: 365 * 86_400 } as const;
const MAX_USES = INITIAL_ACCESS_TOKEN_LIMITS.maxUses;

/** A client type a token may register: public (no secret, `none`) or confidential (a secret). */
export type ClientType = 'public' | 'confidential';

/** What a token lets a client register. */
export interface InitialAccessTokenScope {
  clientTypes: ClientType[];
  grantTypes: GrantType[];
}

/** A token as operators see it (never the token itself). */
export interface InitialAccessToken extends InitialAccessTokenScope {
  /** Names the token for revoking it: the start of the keyed hash of the token, which does not open anything. */
  id: string;
  label: string | null;
  maxUses: number;
  /** Registrations made with it so far. */
  uses: number;
  issuedAt: number;
  expiresAt: number;
}

/** What is stored for a token (the artifact's value). */
interface StoredToken extends InitialAccessTokenScope {
  [key: string]: string | number | null | ClientType[] | GrantType[];
  label: string | null;
  maxUses: number;
  issuedAt: number;
}

/** What issuing a token takes: all optional but its lifetime's defaults. */
export interface NewInitialAccessToken {
  label?: string | undefined;
  /** Default 1. */
  maxUses?: number | undefined;
  /** Default {@link INITIAL_ACCESS_TOKEN_LIMITS}`.defaultTtlSeconds` (7 days). */
  ttlSeconds?: number | undefined;
  /** Default both. */
  clientTypes?: ClientType[] | undefined;
  /** Default every grant the server supports but token exchange, which is given only when named. */
  grantTypes?: GrantType[] | undefined;
}

type TokenContext = Pick<ServerContext, 'store' | 'clock' | 'secrets' | 'audit'>;

/** An {@link InitialAccessToken} in wire form, as the command (`--json`) and the admin API show it. */
export function initialAccessTokenJson(token: InitialAccessToken): Record<string, string | number | string[] | null> {
  return {
    id: token.id,
    label: token.label,
    max_uses: token.maxUses,
    uses: token.uses,
    client_types: token.clientTypes,
    grant_types: token.grantTypes,
    issued_at: new Date(token.issuedAt).toISOString(),
    expires_at: new Date(token.expiresAt).toISOString(),
  };
}

/**
 * Issues an initial access token; the token is returned this once. Audits `registration.token_issued`.
 *
 * @throws {AdminInputError} naming the field when a value is out of bounds.
 */
export async function issueInitialAccessToken(ctx: TokenContext, input: NewInitialAccessToken): Promise<{ token: string; info: InitialAccessToken }> {
  const maxUses = input.maxUses ?? 1;
  if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > MAX_USES) throw new AdminInputError('max-uses', `must be a whole number from 1 to ${MAX_USES}`);
  const ttlSeconds = input.ttlSeconds ?? INITIAL_ACCESS_TOKEN_LIMITS.defaultTtlSeconds;
  const { minTtlSeconds, maxTtlSeconds } = INITIAL_ACCESS_TOKEN_LIMITS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < minTtlSeconds || ttlSeconds > maxTtlSeconds) {
    throw new AdminInputError('ttl', `must be a whole number of seconds from ${minTtlSeconds} to ${maxTtlSeconds}`);
  }
  const label = input.label?.trim() ?? '';
  // eslint-disable-next-line no-control-regex
  if (label.length > 100 || /[\u0000-\u001f\u007f]/.test(label)) throw new AdminInputError('label', 'must be at most 100 characters, on one line');
  // Read as strings: the command's flags reach here unchecked.
  const clientTypes = [...new Set<string>(input.clientTypes ?? ['public', 'confidential'])] as ClientType[];
  if (clientTypes.length === 0 || clientTypes.some((type: string) => type !== 'public' && type !== 'confidential')) {
    throw new AdminInputError('client-type', 'must be public or confidential');
  }
  const supported = supportedGrantTypes();
  // Token exchange turns tokens a client holds into tokens for other APIs: only when the operator names it.
  const grantTypes = [...new Set(input.grantTypes ?? supported.filter((grant) => grant !== 'urn:ietf:params:oauth:grant-type:token-exchange'))];
  if (grantTypes.length === 0 || grantTypes.some((grant) => !supported.includes(grant))) {
    throw new AdminInputError('grant', `must be among ${supported.join(', ')}`);
  }
  const now = ctx.clock.now();
  const expiresAt = now + ttlSeconds * 1000;
  const token = randomToken(32);
  const hash = ctx.secrets.hash(token, TOKEN_PURPOSE);
  const value: StoredToken = { label: label === '' ? null : label, maxUses, clientTypes, grantTypes, issuedAt: now };
  // The uses first: a token is never findable before all of its uses exist.
  for (let n = 1; n <= maxUses; n += 1) {
    await ctx.store.artifacts.put({ kind: USE_KIND, id: `${hash}:${n}`, value: null, ownerId: useOwner(hash), expiresAt });
  }
  await ctx.store.artifacts.put({ kind: TOKEN_KIND, id: hash, value, ownerId: TOKENS_OWNER, expiresAt });
  const info = describe(hash, value, expiresAt, 0);
  await ctx.audit.record(auditEvent('registration.token_issued', { token: info.id, max_uses: maxUses, client_types: clientTypes, grant_types: grantTypes }));
  return { token, info };
}

function useOwner(hash: string): string {
  return `registration-iat:${hash}`;
}

function describe(hash: string, value: StoredToken, expiresAt: number, uses: number): InitialAccessToken {
  return {
    id: operatorId(hash),
    label: value.label,
    maxUses: value.maxUses,
    uses,
    clientTypes: value.clientTypes,
    grantTypes: value.grantTypes,
    issuedAt: value.issuedAt,
    expiresAt,
  };
}

/** How many of a token's uses are spent. */
async function usesOf(ctx: Pick<ServerContext, 'store'>, hash: string, maxUses: number): Promise<number> {
  const uses = await ctx.store.artifacts.listByOwner(USE_KIND, useOwner(hash), maxUses);
  return uses.filter((use) => use.consumedAt !== null).length;
}

/** The unexpired tokens with their stored hashes, newest expiry first (a used-up token is gone). */
async function storedTokens(ctx: Pick<ServerContext, 'store'>) {
  return ctx.store.artifacts.listByOwner<StoredToken>(TOKEN_KIND, TOKENS_OWNER, 1000);
}

/** The unexpired initial access tokens with uses left, newest expiry first. */
export async function listInitialAccessTokens(ctx: Pick<ServerContext, 'store'>): Promise<InitialAccessToken[]> {
  const tokens = await storedTokens(ctx);
  return Promise.all(tokens.map(async (token) => describe(token.id, token.value, token.expiresAt, await usesOf(ctx, token.id, token.value.maxUses))));
}

/**
 * Revokes a token by its public id: it can no longer register anything (clients it registered stay).
 * Audits `registration.token_revoked`.
 *
 * @throws {AdminNotFoundError} when no unexpired token has that id.
 */
export async function revokeInitialAccessToken(ctx: TokenContext, id: string): Promise<InitialAccessToken> {
  const found = (await storedTokens(ctx)).find((token) => operatorId(token.id) === id);
  if (!found || !(await ctx.store.artifacts.delete(TOKEN_KIND, found.id))) throw new AdminNotFoundError('token', `no initial access token "${id}"`);
  const uses = await usesOf(ctx, found.id, found.value.maxUses);
  await ctx.store.artifacts.deleteByOwner(useOwner(found.id));
  const info = describe(found.id, found.value, found.expiresAt, uses);
  await ctx.audit.record(auditEvent('registration.token_revoked', { token: info.id, uses }));
  return info;
}

/** A token presented at the registration endpoint, found but not yet used. */
export interface PresentedInitialAccessToken {
  id: string;
  scope: InitialAccessTokenScope;
  /** Spends one use, atomically; false when none is left (or the token was revoked meanwhile). */
  spend(): Promise<boolean>;
}

/** The token `token` stands for, while it is unexpired and not revoked; `undefined` otherwise. */
export async function findInitialAccessToken(
  ctx: Pick<ServerContext, 'store' | 'secrets' | 'clock'>,
  token: string,
): Promise<PresentedInitialAccessToken | undefined> {
  const hash = ctx.secrets.hash(token, TOKEN_PURPOSE);
  const stored = await ctx.store.artifacts.get<StoredToken>(TOKEN_KIND, hash);
  if (!stored) return undefined;
  const { maxUses, clientTypes, grantTypes } = stored.value;
  return {
    id: operatorId(hash),
    scope: { clientTypes, grantTypes },
    async spend() {
      // Spend before the registration is made: the first use that can still be consumed. Each
      // use goes to exactly one caller (the store's atomic consume), so at most maxUses succeed.
      for (let n = 1; n <= maxUses; n += 1) {
        if (!(await ctx.store.artifacts.consume(USE_KIND, `${hash}:${n}`, ctx.clock.now()))) continue;
        // Uses are taken in order, so whoever takes the last one finds every other taken: the
        // token is used up, and goes (an exhausted token is then refused like an unknown one).
        if (n === maxUses) await ctx.store.artifacts.delete(TOKEN_KIND, hash);
        return true;
      }
      return false;
    },
  };
}
