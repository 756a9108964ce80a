import type { Json } from '../../stores/contract.js';

/** What a redacted value is replaced with, in the database, the logs and the file alike. */
const REDACTED = '[redacted]';

/**
 * Words that mark a key as holding a secret, wherever they appear in it (`client_secret`,
 * `idToken`, `code_verifier`, `recovery_codes`, `password_hash`). Plurals count too.
 */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'code',
  'verifier',
  'assertion',
  'otp',
  'totp',
  'hotp',
  'pin',
  'cookie',
  'authorization',
  'bearer',
  'jwt',
  'private',
  'apikey',
]);

/** Keys that contain a secret word but name a kind of thing, not a secret: kept. */
const SAFE_KEYS = new Set(['token_type', 'token_type_hint', 'token_endpoint_auth_method', 'code_challenge_method']);

/** A JWS or JWE in compact form: a base64url JSON header (`eyJ...`), then dot-separated parts. */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\./;
/** Runs of more than 32 base64url characters: the length of a random token or a hash of one. */
const LONG_RUN_LENGTH = 33;
const LONG_RUN = new RegExp(`[A-Za-z0-9_-]{${LONG_RUN_LENGTH},}`, 'g');
/** UUIDs (request, user and consent ids): long, but identifiers, not secrets. */
const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * Removes what looks like a secret from an event's details, at any depth, before it is written
 * anywhere: the value of every key that names a secret (`password`, `client_secret`, `code`,
 * `assertion`, `otp`, ...), and every string that holds a JWT or a long random token. Each is
 * replaced with `[redacted]`, so the event still shows that the field was there.
 *
 * A second line of defence: callers are meant to leave secrets out in the first place.
 *
 * @example
 * redactDetails({ username: 'alice', password: 'hunter2' }) // { username: 'alice', password: '[redacted]' }
 */
export function redactDetails(details: Record<string, Json | undefined>): Record<string, Json> {
  return redactObject(details);
}

/**
 * Answers of {@link isSecretKey} so far. Keys come from code (`grant_type`, `scope`, `reason`), so a
 * handful are asked about again and again; past {@link MAX_CACHED_KEYS} (keys built at run time),
 * new ones are worked out each time rather than kept.
 */
const secretKeyAnswers = new Map<string, boolean>();
const MAX_CACHED_KEYS = 1000;

/** Whether a details key names a secret. */
export function isSecretKey(key: string): boolean {
  let answer = secretKeyAnswers.get(key);
  if (answer === undefined) {
    answer = namesSecret(key);
    if (secretKeyAnswers.size < MAX_CACHED_KEYS) secretKeyAnswers.set(key, answer);
  }
  return answer;
}

function namesSecret(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  if (SAFE_KEYS.has(words.join('_'))) return false;
  return words.some((word) => SECRET_WORDS.has(word) || (word.endsWith('s') && SECRET_WORDS.has(word.slice(0, -1))));
}

/** Whether a string value looks like a JWT or holds a long random token. */
export function looksLikeToken(value: string): boolean {
  if (JWT_LIKE.test(value)) return true;
  // Most values (a scope, a grant type, a reason) are too short to hold a long run at all.
  if (value.length < LONG_RUN_LENGTH) return false;
  for (const [run] of value.replace(UUIDS, ' ').matchAll(LONG_RUN)) {
    // Random base64url of this length all but surely has a digit or both cases; a long
    // snake_case word (`urn_ietf_params_oauth_grant_type`) does not.
    if (/[0-9]/.test(run) || (/[a-z]/.test(run) && /[A-Z]/.test(run))) return true;
  }
  return false;
}

function redactObject(object: Record<string, Json | undefined>): Record<string, Json> {
  const redacted: Record<string, Json> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    redacted[key] = isSecretKey(key) ? REDACTED : redactValue(value);
  }
  return redacted;
}

function redactValue(value: Json): Json {
  if (typeof value === 'string') return looksLikeToken(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') return redactObject(value);
  return value;
}
