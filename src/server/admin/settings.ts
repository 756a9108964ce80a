import { isSecretSetting, SERVER_SETTINGS } from '../config/schema.js';
import type { ServerConfig } from '../context.js';

/** What a secret setting that is set shows instead of its value. */
const REDACTED = '[redacted]';

/**
 * The effective settings of a running server (`GET /settings`): every setting of the library's
 * schema (`config/schema.ts`), nested as the options are, with its value after defaults and
 * bounds. Secrets never appear: a secret setting ({@link isSecretSetting}) shows {@link REDACTED}
 * when set (`null` when not), and a URL anywhere else loses its password (or a lone user name). Only declared settings
 * are read, never the live objects beside them (senders, the Redis client, upstream providers,
 * whose client secrets stay out: upstreams are shown by id), so a new secret cannot slip in
 * through an object nobody looked at.
 *
 * @example
 * effectiveSettings(ctx.config) // { issuer: 'https://id.example.com', secret: '[redacted]', tokens: { accessTokenTtl: 3600, ... }, ... }
 */
export function effectiveSettings(config: ServerConfig): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const setting of SERVER_SETTINGS) {
    const path = setting.path.split('.');
    let value: unknown = config;
    for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
    const parent = path.slice(0, -1).reduce<Record<string, unknown>>((node, key) => (node[key] ??= {}) as Record<string, unknown>, shown);
    parent[path.at(-1)!] = isSecretSetting(setting) ? (value === undefined || value === null ? null : REDACTED) : withoutUrlPasswords(value ?? null);
  }
  shown.upstreams = config.upstreams.map((upstream) => upstream.id);
  return shown;
}

/** `value` with the password (or a lone user name) of any URL in it replaced (`https://user:%5Bredacted%5D@host/`), lists included. */
function withoutUrlPasswords(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUrlPasswords);
  if (typeof value !== 'string' || !value.includes('@') || !URL.canParse(value)) return value;
  const url = new URL(value);
  // A lone user name may be a token (`https://TOKEN@host/`): redacted too.
  if (url.password !== '') url.password = REDACTED;
  else if (url.username !== '') url.username = REDACTED;
  else return value;
  return url.href;
}
