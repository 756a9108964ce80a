import { randomToken } from '../../core/encoding.js';
import type { ServerContext } from '../context.js';
import { browserBinding, existingBrowserId } from '../session/browser.js';
import type { Json } from '../../stores/contract.js';
import type { AuthorizationRequest } from '../authorize/request.js';

/** Artifact kind of in-progress authorization requests waiting for the user. */
const INTERACTION = 'interaction';

/** Progress a user earned in this interaction: who earned it and when (milliseconds). */
export interface Earned {
  [key: string]: string | number;
  sub: string;
  at: number;
}

/**
 * An authorization request while the user signs in, chooses an account and consents. Every step
 * of progress records the user who made it: progress made by one account never counts for another
 * (the session's user may change during the interaction).
 */
export interface InteractionState {
  [key: string]: Json | undefined;
  request: AuthorizationRequest;
  /** Keyed hash of the browser id the request started in. */
  browser: string;
  /** The user signed in during this interaction (satisfies `prompt=login`, `max_age`, `id_token_hint`). */
  loggedIn?: Earned;
  /** The user who chose their account during this interaction (`prompt=select_account`). */
  accountChosen?: string;
  /** The user who approved during this interaction (`prompt=consent`). */
  consented?: string;
  /** Set when the user chose "use another account" on the account chooser. */
  loginRequested?: boolean;
  /** The user who passed the first factor and still owes the second (no session yet). */
  pendingUser?: string;
  /** Methods (RFC 8176) of the first factor, for the `amr` once the second is done. */
  pendingAmr?: string[];
  /** The upstream provider of a first factor that was an upstream sign-in (`fed`). */
  pendingProvider?: string;
  /** The user who verified a second factor during this interaction. */
  mfa?: Earned;
  /** The unconfirmed TOTP factor being set up during sign-in (only right after a first factor). */
  enrolFactor?: string;
  /**
   * A sign-up waiting for its address to be confirmed: the key its code was issued under and the
   * address as typed (for the masked "we sent a code to" line). Set whether or not the address
   * already has an account, so the pages that follow cannot tell.
   */
  signUp?: { key: string; email: string };
  /**
   * `account`, `admin`: signing in to the account pages or the admin console, not for a client; ends at `/account` or `/admin`.
   * `device`: a device's request (RFC 8628), started on the device page; ends on the "return to your device" page.
   */
  purpose?: 'authorize' | 'account' | 'admin' | 'device';
}

/** Progress earned now by `sub`. */
export function earned(sub: string, at: number): Earned {
  return { sub, at };
}

/** Whether progress counts for `sub`: it was earned by that very user. */
export function earnedBy(progress: Earned | string | undefined, sub: string | undefined): boolean {
  if (progress === undefined || sub === undefined) return false;
  return (typeof progress === 'string' ? progress : progress.sub) === sub;
}

export interface Interaction {
  id: string;
  state: InteractionState;
  expiresAt: number;
}

/** Stores a new interaction; its id appears in the page URLs. */
export async function createInteraction(ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>, state: InteractionState): Promise<Interaction> {
  const id = randomToken(24);
  const expiresAt = ctx.clock.now() + ctx.config.sessions.interactionTtl * 1000;
  await ctx.store.artifacts.put({ kind: INTERACTION, id, value: state, ownerId: null, expiresAt });
  return { id, state, expiresAt };
}

/** The interaction, unless unknown, expired, or already moved on (each step uses its id up). */
async function loadInteraction(ctx: Pick<ServerContext, 'store'>, id: string): Promise<Interaction | undefined> {
  if (!/^[A-Za-z0-9_-]{32}$/.test(id)) return undefined;
  const record = await ctx.store.artifacts.get<InteractionState>(INTERACTION, id);
  return record?.consumedAt === null ? { id, state: record.value, expiresAt: record.expiresAt } : undefined;
}

/**
 * The interaction `id`, when the request comes from the browser it started in (its browser cookie
 * matches the binding stored with it); `undefined` otherwise, as for an unknown or used-up id.
 */
export async function loadInteractionOfBrowser(
  ctx: Pick<ServerContext, 'config' | 'secrets' | 'store'>,
  request: Request,
  id: string,
): Promise<{ interaction: Interaction; browserId: string } | undefined> {
  const interaction = await loadInteraction(ctx, id);
  const browserId = existingBrowserId(ctx, request);
  if (!interaction || !browserId || browserBinding(ctx, browserId) !== interaction.state.browser) return undefined;
  return { interaction, browserId };
}

/**
 * Records progress: atomically uses up the current id and continues under a fresh one (same
 * expiry). Of two concurrent or repeated posts of one form only one gets here, so a double submit
 * cannot produce a second code. `undefined`: another request already moved the interaction on.
 */
export async function advanceInteractionState(
  ctx: Pick<ServerContext, 'clock' | 'store'>,
  interaction: Interaction,
  state: InteractionState,
): Promise<Interaction | undefined> {
  const { store } = ctx;
  if (!(await store.artifacts.consume(INTERACTION, interaction.id, ctx.clock.now()))) return undefined;
  const next = { id: randomToken(24), state, expiresAt: interaction.expiresAt };
  await store.artifacts.put({ kind: INTERACTION, id: next.id, value: state, ownerId: null, expiresAt: next.expiresAt });
  return next;
}

/** Ends an interaction once it produced a response; returns false if another request already did. */
export async function finishInteraction(ctx: Pick<ServerContext, 'clock' | 'store'>, interaction: Interaction): Promise<boolean> {
  return (await ctx.store.artifacts.consume(INTERACTION, interaction.id, ctx.clock.now())) !== undefined;
}
