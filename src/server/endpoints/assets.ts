import { OAuthError } from '../../core/errors.js';
import type { ServerContext } from '../context.js';
import { json } from '../http/responses.js';
import { createPowChallenge, proofOfWorkEnabled } from '../protection/proof-of-work.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The WebAuthn browser library (@simplewebauthn/browser, UMD build), read once, served same-origin. */
let webauthnScript: string | undefined;

/** GET /assets/webauthn.js — immutable for this version: cached by browsers for a day. */
export function webauthnAsset(): Response {
  if (webauthnScript === undefined) {
    const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
    webauthnScript = readFileSync(join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
  }
  return new Response(webauthnScript, {
    headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400', 'Cross-Origin-Resource-Policy': 'same-origin' },
  });
}

/** The proof-of-work script of the sign-up form (src/server/assets/pow.js), read once. */
let powScript: string | undefined;

/** GET /assets/pow.js — cached by browsers for an hour (it is small, and may change with a version). */
export function powAsset(): Response {
  powScript ??= readFileSync(new URL('../assets/pow.js', import.meta.url), 'utf8');
  return new Response(powScript, {
    headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'Cross-Origin-Resource-Policy': 'same-origin' },
  });
}

/**
 * GET /pow/challenge — a fresh, signed ALTCHA challenge for the sign-up form's script (JSON, never
 * cached: each is good for one form). 404 while proof of work is off.
 */
export async function powChallengeEndpoint(ctx: ServerContext): Promise<Response> {
  if (!proofOfWorkEnabled(ctx)) throw new OAuthError('invalid_request', 'proof of work is not used here', { status: 404 });
  return json(await createPowChallenge(ctx), 200, { 'Cache-Control': 'no-store' });
}
