import { randomToken } from '../../core/encoding.js';
import type { ServerContext } from '../context.js';
import type { AuthorizationRequest } from './authorization-request.js';

/** Artifact kind of in-progress authorization requests waiting for the user. */
export const INTERACTION = 'interaction';

/** An authorization request while the user signs in, chooses an account and consents. */
export interface InteractionState {
  [key: string]: AuthorizationRequest | string | string[] | number | boolean | undefined;
  request: AuthorizationRequest;
  /** Keyed hash of the browser id the request started in. */
  browser: string;
  /** Set when the user signed in during this interaction (satisfies `prompt=login`, `max_age`). */
  loggedInAt?: number;
  /** Set when the user chose the account during this interaction (`prompt=select_account`). */
  accountChosen?: boolean;
  /** Set when the user approved during this interaction (`prompt=consent`). */
  consented?: boolean;
  /** Set when the user chose "use another account" on the account chooser. */
  loginRequested?: boolean;
  /** The user who passed the first factor and still owes the second (no session yet). */
  pendingUser?: string;
  /** Methods (RFC 8176) of the first factor, for the `amr` once the second is done. */
  pendingAmr?: string[];
  /** Set when a second factor was verified during this interaction. */
  mfaAt?: number;
  /** The unconfirmed TOTP factor being set up during sign-in. */
  enrolFactor?: string;
  /** `account`: signing in to the account pages, not for a client; ends at `/account`. */
  purpose?: 'authorize' | 'account';
}

export interface Interaction {
  id: string;
  state: InteractionState;
  expiresAt: number;
}

/** Stores a new interaction; its id appears in the page URLs. */
export async function createInteraction(ctx: ServerContext, state: InteractionState): Promise<Interaction> {
  const id = randomToken(24);
  const expiresAt = ctx.options.clock.now() + ctx.options.sessions.interactionTtl * 1000;
  await ctx.options.store.artifacts.put({ kind: INTERACTION, id, value: state, grantId: null, expiresAt });
  return { id, state, expiresAt };
}

/** The interaction, unless unknown, expired, or already moved on (each step uses its id up). */
export async function loadInteraction(ctx: ServerContext, id: string): Promise<Interaction | undefined> {
  if (!/^[A-Za-z0-9_-]{32}$/.test(id)) return undefined;
  const record = await ctx.options.store.artifacts.get<InteractionState>(INTERACTION, id);
  return record && record.consumedAt === null ? { id, state: record.value, expiresAt: record.expiresAt } : undefined;
}

/**
 * Records progress: atomically uses up the current id and continues under a fresh one (same
 * expiry). Of two concurrent or repeated posts of one form only one gets here, so a double submit
 * cannot produce a second code. `undefined`: another request already moved the interaction on.
 */
export async function advanceInteractionState(ctx: ServerContext, interaction: Interaction, state: InteractionState): Promise<Interaction | undefined> {
  const { store } = ctx.options;
  if (!(await store.artifacts.consume(INTERACTION, interaction.id, ctx.options.clock.now()))) return undefined;
  const next = { id: randomToken(24), state, expiresAt: interaction.expiresAt };
  await store.artifacts.put({ kind: INTERACTION, id: next.id, value: state, grantId: null, expiresAt: next.expiresAt });
  return next;
}

/** Ends an interaction once it produced a response; returns false if another request already did. */
export async function finishInteraction(ctx: ServerContext, interaction: Interaction): Promise<boolean> {
  return (await ctx.options.store.artifacts.consume(INTERACTION, interaction.id, ctx.options.clock.now())) !== undefined;
}
