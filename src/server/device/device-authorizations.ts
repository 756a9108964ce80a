/**
 * Device authorizations (RFC 8628) as short-lived artifacts, each consumed or claimed atomically
 * by the store, so every rule holds across instances and under concurrent requests:
 *
 * - `device_authorization`, keyed by a keyed hash of the device code (never stored itself): the
 *   request (client, scopes, resources), when it expires, the polling interval it started with.
 * - `device_user_code`, keyed by a keyed hash of the user code: which device authorization it
 *   stands for. Consumed by the user's decision (approve or deny), so a code is decided once.
 * - `device_decision`, keyed by the device authorization: what the user decided; an approval is
 *   consumed by the one poll that gets the tokens.
 * - `device_poll`: one per poll that went on, numbered (`put` of the next number succeeds once), so
 *   a device polling faster than its interval gets `slow_down` (§3.5), even when its polls race;
 *   `device_slow_down`: one per `slow_down` answered, each adding 5 seconds.
 */
import { randomToken } from '../../core/encoding.js';
import { StoreConflictError, type Json } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { familyStart } from '../tokens/authorization-code.js';
import { newUserCode, normalizeUserCode } from './user-code.js';

const DEVICE_AUTHORIZATION = 'device_authorization';
const DEVICE_USER_CODE = 'device_user_code';
const DEVICE_DECISION = 'device_decision';
const DEVICE_POLL = 'device_poll';
const DEVICE_SLOW_DOWN = 'device_slow_down';
const DEVICE_CODE_PURPOSE = 'device-code';
const USER_CODE_PURPOSE = 'device-user-code';

/**
 * How long a device authorization is kept after it expired, so a device polling late is told
 * `expired_token` (RFC 8628 §3.5) rather than that its code is unknown.
 */
const EXPIRED_KEPT_MS = 3600_000;
/** RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and all subsequent requests". */
const SLOW_DOWN_STEP_SECONDS = 5;

/** A device authorization request as validated at the device authorization endpoint (RFC 8628 §3.1). */
export interface DeviceAuthorizationState {
  [key: string]: Json | undefined;
  clientId: string;
  scope: string[];
  /** The RFC 8707 `resource` values of the request (validated), for the token's audience. */
  resources: string[];
  /** Milliseconds: when the codes stop working. */
  expiresAt: number;
  /** Seconds between polls, before any `slow_down`. */
  interval: number;
  /** `ui_locales` of the request, when it had one: the languages of the sign-in pages. */
  uiLocales?: string[];
}

/** What the user approved: the sign-in and consent the tokens rest on, as an authorization code carries them. */
export interface DeviceApprovalInput {
  outcome: 'approved';
  sub: string;
  scope: string[];
  consentId: string;
  authTime: number;
  amr: string[];
  acr: string;
  sid: string;
}

/** An approval as stored. */
export interface DeviceApproval extends DeviceApprovalInput {
  [key: string]: Json | undefined;
  /** When the token family the tokens open began (see `familyStart`). */
  familyIssuedAt: number;
}

export type DeviceDecision = DeviceApproval | { [key: string]: Json | undefined; outcome: 'denied' };

/** A device authorization found by its user code: what the device page and the interaction carry. */
export interface PendingDeviceAuthorization {
  /** The artifact id of the device authorization (a keyed hash of the device code). */
  id: string;
  /** The artifact id of its user code. */
  userCodeId: string;
  state: DeviceAuthorizationState;
}

/** A new device authorization: the codes as handed to the device (RFC 8628 §3.2). */
export interface IssuedDeviceAuthorization {
  deviceCode: string;
  /** Unformatted (8 characters of the alphabet). */
  userCode: string;
  expiresIn: number;
  interval: number;
}

const deviceId = (ctx: Pick<ServerContext, 'secrets'>, deviceCode: string) => ctx.secrets.hash(deviceCode, DEVICE_CODE_PURPOSE);
const userCodeId = (ctx: Pick<ServerContext, 'secrets'>, userCode: string) => ctx.secrets.hash(userCode, USER_CODE_PURPOSE);

/**
 * Stores a new device authorization: a device code of 256 random bits and a user code of the
 * RFC 8628 §6.1 alphabet, each stored only as a keyed hash. A user code clashing with a live one
 * (one chance in 2.5·10^10 per live code) is drawn again.
 */
export async function startDeviceAuthorization(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  request: Pick<DeviceAuthorizationState, 'clientId' | 'scope' | 'resources' | 'uiLocales'>,
): Promise<IssuedDeviceAuthorization> {
  const { deviceCodeTtl: expiresIn, deviceCodeInterval: interval } = ctx.config.tokens;
  const now = ctx.clock.now();
  const expiresAt = now + expiresIn * 1000;
  const deviceCode = randomToken(32);
  const id = deviceId(ctx, deviceCode);
  const state: DeviceAuthorizationState = { ...request, expiresAt, interval };
  await ctx.store.artifacts.put({ kind: DEVICE_AUTHORIZATION, id, value: state, ownerId: id, expiresAt: expiresAt + EXPIRED_KEPT_MS });
  for (let attempt = 0; ; attempt += 1) {
    const userCode = newUserCode();
    try {
      await ctx.store.artifacts.put({ kind: DEVICE_USER_CODE, id: userCodeId(ctx, userCode), value: { deviceId: id }, ownerId: id, expiresAt });
      return { deviceCode, userCode, expiresIn, interval };
    } catch (error) {
      if (!(error instanceof StoreConflictError) || attempt >= 4) throw error;
    }
  }
}

/**
 * The live device authorization a typed user code stands for, if any: not expired and not yet
 * decided. Callers spend the guessing budgets before calling this (RFC 8628 §5.1).
 */
export async function findByUserCode(ctx: Pick<ServerContext, 'clock' | 'secrets' | 'store'>, typed: string): Promise<PendingDeviceAuthorization | undefined> {
  const code = normalizeUserCode(typed);
  if (code === undefined) return undefined;
  const id = userCodeId(ctx, code);
  const entry = await ctx.store.artifacts.get<{ deviceId: string }>(DEVICE_USER_CODE, id);
  if (entry?.consumedAt !== null) return undefined;
  const device = await ctx.store.artifacts.get<DeviceAuthorizationState>(DEVICE_AUTHORIZATION, entry.value.deviceId);
  if (!device || device.value.expiresAt <= ctx.clock.now()) return undefined;
  return { id: entry.value.deviceId, userCodeId: id, state: device.value };
}

/**
 * Records the user's decision on a device authorization, once: the user code is consumed
 * atomically (of two people deciding on one code, or one decision posted twice, only the first
 * counts). `false` when the code was already decided or has expired.
 */
export async function decideDeviceAuthorization(
  ctx: Pick<ServerContext, 'clock' | 'store'>,
  device: Pick<PendingDeviceAuthorization, 'id' | 'userCodeId'>,
  decision: { outcome: 'denied' } | DeviceApprovalInput,
): Promise<boolean> {
  const now = ctx.clock.now();
  const entry = await ctx.store.artifacts.consume(DEVICE_USER_CODE, device.userCodeId, now);
  if (!entry) return false;
  const value: DeviceDecision = decision.outcome === 'approved' ? { ...decision, familyIssuedAt: familyStart(now, decision.authTime) } : decision;
  // The user code expires with the device authorization, so it is still live here.
  await ctx.store.artifacts.put({ kind: DEVICE_DECISION, id: device.id, value, ownerId: device.id, expiresAt: entry.expiresAt + EXPIRED_KEPT_MS });
  return true;
}

/** A poll that went on: the `n`th of its device authorization, at `at` (milliseconds). */
interface PollMark {
  [key: string]: Json;
  n: number;
  at: number;
}

/**
 * Claims the device's next poll: refused when the last poll that went on was less than the
 * interval ago, or when a racing poll claimed the same place in the sequence first (`put` of
 * `id:n` succeeds once). A refusal records a `slow_down`, adding 5 seconds to the interval
 * (RFC 8628 §3.5). The marks live as long as the device authorization, each a millisecond longer
 * than the one before, so the newest is the first `listByOwner` returns.
 */
async function claimPoll(ctx: Pick<ServerContext, 'clock' | 'store'>, id: string, baseInterval: number, kept: number): Promise<boolean> {
  const { store } = ctx;
  const now = ctx.clock.now();
  const [[last], slowDowns] = await Promise.all([store.artifacts.listByOwner<PollMark>(DEVICE_POLL, id, 1), store.artifacts.listByOwner(DEVICE_SLOW_DOWN, id)]);
  const interval = baseInterval + SLOW_DOWN_STEP_SECONDS * slowDowns.length;
  const n = last ? last.value.n + 1 : 0;
  let claimed = !last || now - last.value.at >= interval * 1000;
  if (claimed) {
    try {
      await store.artifacts.put({ kind: DEVICE_POLL, id: `${id}:${n}`, value: { n, at: now }, ownerId: id, expiresAt: kept + n });
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      claimed = false;
    }
  }
  if (!claimed) await store.artifacts.put({ kind: DEVICE_SLOW_DOWN, id: randomToken(16), value: null, ownerId: id, expiresAt: kept });
  return claimed;
}

/** Where a device's poll stands (RFC 8628 §3.5). */
export type PollOutcome =
  | { status: 'unknown' }
  | { status: 'slow_down' }
  | { status: 'expired' }
  | { status: 'pending' }
  | { status: 'denied' }
  | { status: 'used' }
  | { status: 'approved'; id: string; device: DeviceAuthorizationState; approval: DeviceApproval };

/**
 * A poll of the token endpoint with `deviceCode` by `clientId`. In order: unknown (or another
 * client's) code, expired; then the poll is claimed ({@link claimPoll}) before the decision is
 * read, so of polls faster than the interval, racing or not, at most one goes on and the others
 * get `slow_down`; then the decision. An approval is `approved` until {@link redeemDeviceApproval}
 * uses it up (then `used`).
 */
export async function pollDeviceAuthorization(
  ctx: Pick<ServerContext, 'clock' | 'secrets' | 'store'>,
  deviceCode: string,
  clientId: string,
): Promise<PollOutcome> {
  const { store } = ctx;
  const id = deviceId(ctx, deviceCode);
  const device = await store.artifacts.get<DeviceAuthorizationState>(DEVICE_AUTHORIZATION, id);
  if (device?.value.clientId !== clientId) return { status: 'unknown' };
  const now = ctx.clock.now();
  if (device.value.expiresAt <= now) return { status: 'expired' };
  if (!(await claimPoll(ctx, id, device.value.interval, device.expiresAt))) return { status: 'slow_down' };
  const decision = await store.artifacts.get<DeviceDecision>(DEVICE_DECISION, id);
  if (!decision) return { status: 'pending' };
  if (decision.value.outcome === 'denied') return { status: 'denied' };
  if (decision.consumedAt !== null) return { status: 'used' };
  return { status: 'approved', id, device: device.value, approval: decision.value };
}

/**
 * Uses up an approval (after the grant checked everything else, so a bad request does not burn
 * it): atomic, so of any number of racing polls exactly one gets `true` and the tokens.
 */
export async function redeemDeviceApproval(ctx: Pick<ServerContext, 'clock' | 'store'>, id: string): Promise<boolean> {
  return (await ctx.store.artifacts.consume(DEVICE_DECISION, id, ctx.clock.now())) !== undefined;
}
