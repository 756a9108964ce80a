import { StoreConflictError, type Store } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { userOwner } from './owner.js';

/** Artifact kind: a browser that completed a sign-in to an account, keyed by a hash of both. */
const KNOWN_BROWSER = 'known_browser';
/** A browser stays known for 90 days after its last sign-in to the account. */
const KNOWN_BROWSER_TTL_MS = 90 * 86_400_000;
const PURPOSE = 'known-browser';

const id = (ctx: ServerContext, browserId: string, userId: string) => ctx.secrets.hash(`${browserId}\0${userId}`, PURPOSE);

/**
 * Whether this browser (its `gh_browser` cookie) completed a sign-in to the account before. Such a
 * browser is not counted against the account's address-independent sign-in budget, so guesses
 * from elsewhere cannot lock the real user out of their own device (OWASP "device cookies").
 */
export async function isKnownBrowser(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
  browserId: string | undefined,
  userId: string,
): Promise<boolean> {
  if (!browserId) return false;
  return (await ctx.store.artifacts.get(KNOWN_BROWSER, id(ctx, browserId, userId))) !== undefined;
}

/** Records a completed sign-in of the account in this browser (its 90 days start again). */
export async function rememberBrowser(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
  browserId: string | undefined,
  userId: string,
): Promise<void> {
  if (!browserId) return;
  const key = id(ctx, browserId, userId);
  const { artifacts } = ctx.store;
  await artifacts.delete(KNOWN_BROWSER, key);
  try {
    await artifacts.put({ kind: KNOWN_BROWSER, id: key, value: null, ownerId: userOwner(userId), expiresAt: ctx.clock.now() + KNOWN_BROWSER_TTL_MS });
  } catch (error) {
    // A concurrent sign-in in the same browser recorded it first: known either way.
    if (!(error instanceof StoreConflictError)) throw error;
  }
}

/** Forgets every browser known for the account (after a password reset: one of them may be an attacker's). */
export async function forgetKnownBrowsers(store: Store, userId: string): Promise<void> {
  for (;;) {
    const known = await store.artifacts.listByOwner(KNOWN_BROWSER, userOwner(userId));
    if (known.length === 0) return;
    await Promise.all(known.map((record) => store.artifacts.delete(KNOWN_BROWSER, record.id)));
  }
}
