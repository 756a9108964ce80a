import { importOptional } from '../../core/optional-dependency.js';
import { StoreConflictError } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { pathTo } from '../routes.js';

const altcha = await importOptional('altcha-lib', () => import('altcha-lib/v1'), 'gatehouse/server (the proof-of-work challenge)');

/** How long a challenge may take to be solved and sent back. */
const CHALLENGE_TTL_MS = 10 * 60_000;
/** Artifact kind marking a used challenge, so one solution is good for one form. */
const USED = 'pow_used';

/** The challenge the browser solves (ALTCHA v1: find `number` with SHA-256(salt + number) = challenge). */
export interface PowChallenge {
  algorithm: 'SHA-256';
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

/** The HMAC key the challenges are signed with: derived from the installation secret, never stored. */
function hmacKey(ctx: Pick<ServerContext, 'secrets'>): string {
  return ctx.secrets.hash('altcha', 'proof-of-work-key');
}

/** What a form is answered with when its proof of work is missing or wrong (sign-up, forgot password). */
export const POW_REFUSED = { key: 'form.powRefused' } as const;

/** Whether forms ask for a proof of work (`accounts.proofOfWork` above 0). */
export function proofOfWorkEnabled(ctx: Pick<ServerContext, 'config'>): boolean {
  return ctx.config.accounts.proofOfWork > 0;
}

/**
 * What a page whose form asks for a proof of work (sign-up, forgotten password) gives it: where
 * the script fetches its challenge, and the script (`pow.js`). `undefined` when it is off; the page
 * then loads no script.
 */
export function proofOfWorkForPage(ctx: Pick<ServerContext, 'config'>): { challengeUrl: string; scriptUrl: string } | undefined {
  return proofOfWorkEnabled(ctx) ? { challengeUrl: pathTo(ctx, 'powChallenge'), scriptUrl: pathTo(ctx, 'powScript') } : undefined;
}

/**
 * A fresh challenge, signed with a key derived from the installation secret and expiring after 10
 * minutes: self-hosted bot protection for the sign-up and password-reset forms (no third party is
 * called, the browser spends CPU instead of a person solving a puzzle).
 */
export async function createPowChallenge(ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets'>): Promise<PowChallenge> {
  const challenge = await altcha.createChallenge({
    algorithm: 'SHA-256',
    hmacKey: hmacKey(ctx),
    maxnumber: ctx.config.accounts.proofOfWork,
    expires: new Date(ctx.clock.now() + CHALLENGE_TTL_MS),
  });
  return {
    algorithm: 'SHA-256',
    challenge: challenge.challenge,
    maxnumber: ctx.config.accounts.proofOfWork,
    salt: challenge.salt,
    signature: challenge.signature,
  };
}

/**
 * Checks the form's `pow` field (the base64 JSON payload the page's script posts): a solution of
 * an unexpired challenge of ours, not used before (the challenge is recorded as used, atomically,
 * so a solution replayed concurrently passes once). True when proof of work is turned off.
 */
export async function verifyPow(ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>, field: string | undefined): Promise<boolean> {
  if (!proofOfWorkEnabled(ctx)) return true;
  if (!field || field.length > 2048) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(field, 'base64').toString('utf8'));
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const payload = parsed as { challenge?: unknown; salt?: unknown };
  if (typeof payload.challenge !== 'string' || typeof payload.salt !== 'string') return false;
  const expires = /[?&]expires=(\d+)/.exec(payload.salt);
  // altcha checks the expiry against the system clock; ours is checked against the server's clock.
  if (!expires || Number(expires[1]) * 1000 < ctx.clock.now()) return false;
  if (!(await altcha.verifySolution(field, hmacKey(ctx), false))) return false;
  try {
    await ctx.store.artifacts.put({ kind: USED, id: payload.challenge, value: null, ownerId: null, expiresAt: Number(expires[1]) * 1000 + 60_000 });
  } catch (error) {
    if (error instanceof StoreConflictError) return false;
    throw error;
  }
  return true;
}
