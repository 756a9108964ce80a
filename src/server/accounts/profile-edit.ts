import type { UserProfile } from '../../stores/contract.js';
import type { MessageKey } from '../../ui/i18n/index.js';

/** The profile claims a user edits on the account page (OIDC Core §5.1), in the order of the form. */
export const EDITABLE_CLAIMS = ['name', 'given_name', 'family_name', 'picture', 'locale', 'zoneinfo'] as const;
export type EditableClaim = (typeof EDITABLE_CLAIMS)[number];

/** What is wrong with a field: a catalog message (never the input), shown in the page's language. */
export type FieldError = { key: MessageKey; values?: Record<string, number> };

/** The profile as edited, or what is wrong with each field. */
export type ProfileEdit = { ok: true; profile: UserProfile; changed: EditableClaim[] } | { ok: false; errors: Partial<Record<EditableClaim, FieldError>> };

/** Longest value of a name claim, in code points. */
const MAX_NAME_LENGTH = 100;
/** Longest picture URL. */
const MAX_URL_LENGTH = 2048;
/** BCP 47 (RFC 5646) language tags: a language, then subtags of 1 to 8 letters or digits; at most 35 characters. */
const LOCALE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;
const MAX_LOCALE_LENGTH = 35;
/** C0 and C1 controls, and the bidirectional overrides that make a name read as something else. */
// eslint-disable-next-line no-control-regex
export const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let zones: Set<string> | undefined;
/** The IANA time zones this runtime knows (`Intl.supportedValuesOf`), and `UTC`, which it lists under `Etc/`. */
function timeZones(): Set<string> {
  zones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);
  return zones;
}

type Check = (value: string) => FieldError | undefined;

/** A name claim: not too long, nothing that cannot be shown; `tooLong` and `unshowable` say so for that field. */
const nameCheck =
  (tooLong: MessageKey, unshowable: MessageKey): Check =>
  (value) => {
    if (Array.from(value).length > MAX_NAME_LENGTH) return { key: tooLong, values: { max: MAX_NAME_LENGTH } };
    return CONTROLS.test(value) ? { key: unshowable } : undefined;
  };

const CHECKS: Record<EditableClaim, Check> = {
  name: nameCheck('profileError.nameTooLong', 'profileError.nameUnshowable'),
  given_name: nameCheck('profileError.givenNameTooLong', 'profileError.givenNameUnshowable'),
  family_name: nameCheck('profileError.familyNameTooLong', 'profileError.familyNameUnshowable'),
  picture: checkPictureUrl,
  locale: (value) => (value.length <= MAX_LOCALE_LENGTH && LOCALE.test(value) && isCanonicalisable(value) ? undefined : { key: 'profileError.locale' }),
  zoneinfo: (value) => (timeZones().has(value) ? undefined : { key: 'profileError.zoneinfo' }),
};

/** An `https:` URL without credentials; anything else (`http:`, `javascript:`, `data:`) is refused. */
function checkPictureUrl(value: string): FieldError | undefined {
  if (value.length > MAX_URL_LENGTH) return { key: 'profileError.pictureTooLong', values: { max: MAX_URL_LENGTH } };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { key: 'profileError.pictureNotUrl' };
  }
  if (url.protocol !== 'https:') return { key: 'profileError.pictureNotHttps' };
  if (url.username !== '' || url.password !== '') return { key: 'profileError.pictureCredentials' };
  return undefined;
}

function isCanonicalisable(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/**
 * Applies the edited claims to `current`: each trimmed; empty removes the claim; every field
 * checked (length, characters, `https:` picture, BCP 47 locale, an IANA zone this runtime knows).
 * `changed` names the claims whose value differs, for the audit event (names only, never values).
 *
 * @example
 * editProfile({ name: 'Ada' }, { name: 'Ada Lovelace', zoneinfo: 'Europe/London' });
 * // { ok: true, profile: { name: 'Ada Lovelace', zoneinfo: 'Europe/London' }, changed: ['name', 'zoneinfo'] }
 */
export function editProfile(current: UserProfile, submitted: Partial<Record<EditableClaim, string>>): ProfileEdit {
  const errors: Partial<Record<EditableClaim, FieldError>> = {};
  const values: Partial<Record<EditableClaim, string>> = {};
  const changed: EditableClaim[] = [];
  for (const claim of EDITABLE_CLAIMS) {
    const value = (submitted[claim] ?? '').trim();
    const error = value === '' ? undefined : CHECKS[claim](value);
    if (error) errors[claim] = error;
    values[claim] = value;
    if ((current[claim] ?? '') !== value) changed.push(claim);
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, profile: withClaims(current, values), changed };
}

/** `profile` with the given claims set, an empty or absent value removing the claim; the other claims kept. */
export function withClaims(profile: UserProfile, claims: Partial<Record<EditableClaim, string | undefined>>): UserProfile {
  const edited = new Set(Object.keys(claims));
  const kept = Object.entries(profile).filter(([key]) => !edited.has(key));
  // An empty or `undefined` value is a removed claim: left out.
  const set = Object.entries(claims).filter(([, value]) => Boolean(value));
  return Object.fromEntries([...kept, ...set]);
}
