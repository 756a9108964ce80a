import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

/** A new TOTP secret: 160 random bits, base32 (RFC 4226 §4 recommends 160). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The `otpauth://` URI authenticator apps read (Google Authenticator key URI format). */
export function otpauthUri(productName: string, account: string, secret: string): string {
  return generateURI({ issuer: productName, label: account, secret });
}

/** A QR code of `text` as an SVG document, rendered on the server (no script, no external image). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
}

/**
 * The RFC 6238 time step (30 s) a code belongs to, accepting one step either side for clock
 * drift (§5.2); `undefined` when the code matches none. Callers refuse a step already used.
 */
export async function matchTotp(secret: string, code: string, nowMs: number): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const epoch = Math.floor(nowMs / 1000);
  const result = await verify({ secret, token: code, epoch, epochTolerance: 30 });
  if (!result.valid) return undefined;
  // `delta` is the matched step relative to the current one (-1, 0 or +1).
  return Math.floor(epoch / 30) + result.delta;
}
