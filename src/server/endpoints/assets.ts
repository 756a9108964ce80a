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
