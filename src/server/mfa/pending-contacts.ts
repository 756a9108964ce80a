import { StoreConflictError, type MfaFactorRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { addFactor, factorText } from './factors.js';

/** Unconfirmed phone numbers and emails a user may have at once (each one costs a message). */
const MAX_PENDING_CONTACTS = 3;
/** An unconfirmed contact older than this can no longer be confirmed (its code lived 5 minutes). */
const PENDING_CONTACT_TTL_MS = 10 * 60_000;
/** Artifact kind: the pending factor of one user and destination. */
const PENDING = 'pending_contact';
/** Artifact kind: one of a user's {@link MAX_PENDING_CONTACTS} places for pending contacts. */
const PLACE = 'pending_contact_place';

const destinationId = (ctx: ServerContext, userId: string, channel: string, to: string) => ctx.secrets.hash(`${userId}\0${channel}\0${to}`, 'pending-contact');

/**
 * The unconfirmed factor for a phone number or email the user is adding: the pending one when they
 * asked for this destination before (a second click makes no second factor), else a new one, which
 * takes one of the user's {@link MAX_PENDING_CONTACTS} places. Both are claimed atomically in the
 * store, so concurrent requests make one factor per destination and never more than three pending.
 * `undefined`: every place is taken (they free up when confirmed, or after 10 minutes).
 */
export async function claimPendingContact(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
  userId: string,
  channel: 'sms' | 'email',
  to: string,
): Promise<MfaFactorRecord | undefined> {
  const { store } = ctx;
  const now = ctx.clock.now();
  const expiresAt = now + PENDING_CONTACT_TTL_MS;
  const destination = destinationId(ctx, userId, channel, to);
  const existing = await pendingFactor(ctx, destination);
  if (existing) return existing;
  await dropStaleContacts(ctx, userId);

  let place: string | undefined;
  for (let index = 0; index < MAX_PENDING_CONTACTS && place === undefined; index += 1) {
    try {
      await store.artifacts.put({ kind: PLACE, id: `${userId}:${index}`, value: destination, ownerId: null, expiresAt });
      place = `${userId}:${index}`;
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
  if (place === undefined) return undefined;
  const factor = await addFactor(ctx, userId, channel, channel === 'sms' ? 'Phone' : 'Email', { to, confirmed: false });
  try {
    await store.artifacts.put({ kind: PENDING, id: destination, value: factor.id, ownerId: null, expiresAt });
    return factor;
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    // A concurrent request claimed this destination first: use its factor, give back ours.
    await Promise.all([store.factors.delete(factor.id), store.artifacts.delete(PLACE, place)]);
    return pendingFactor(ctx, destination);
  }
}

/** The contact was confirmed, or its code could not be sent: its destination and place are free again. */
export async function releasePendingContact(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
  factor: MfaFactorRecord,
  options: { dropFactor: boolean },
): Promise<void> {
  const { store } = ctx;
  const destination = destinationId(ctx, factor.userId, factor.type, factorText(factor, 'to'));
  await store.artifacts.delete(PENDING, destination);
  for (let index = 0; index < MAX_PENDING_CONTACTS; index += 1) {
    const place = await store.artifacts.get<string>(PLACE, `${factor.userId}:${index}`);
    if (place?.value === destination) await store.artifacts.delete(PLACE, place.id);
  }
  if (options.dropFactor) await store.factors.delete(factor.id);
}

async function pendingFactor(ctx: Pick<ServerContext, 'store'>, destination: string): Promise<MfaFactorRecord | undefined> {
  const claim = await ctx.store.artifacts.get<string>(PENDING, destination);
  const factor = claim ? await ctx.store.factors.get(claim.value) : undefined;
  return factor && factor.data.confirmed !== true ? factor : undefined;
}

/** Unconfirmed contacts past their 10 minutes can never be confirmed: removed. */
async function dropStaleContacts(ctx: Pick<ServerContext, 'clock' | 'store'>, userId: string): Promise<void> {
  const now = ctx.clock.now();
  for (const factor of await ctx.store.factors.listByUser(userId)) {
    if ((factor.type === 'sms' || factor.type === 'email') && factor.data.confirmed !== true && now - factor.createdAt > PENDING_CONTACT_TTL_MS) {
      await ctx.store.factors.delete(factor.id);
    }
  }
}
