// Resolving against a placeholder origin lets same-origin paths through while exposing the scheme
// of absolute URLs; the placeholder never appears in the output.
const PLACEHOLDER_ORIGIN = 'https://placeholder.invalid';

/**
 * `url` when it is an `http:`/`https:` URL or a relative reference, otherwise `undefined`.
 * Escaping alone does not stop `javascript:` or `data:` URLs in `href`/`src`, so every URL that
 * reaches a page (client logo and home page, brand logo) goes through here first.
 *
 * @example
 * safeUrl('https://app.example/logo.png'); // 'https://app.example/logo.png'
 * safeUrl('javascript:alert(1)');          // undefined
 */
export function safeUrl(url: string | undefined): string | undefined {
  if (url === undefined || url.trim() === '') return undefined;
  try {
    const { protocol } = new URL(url, PLACEHOLDER_ORIGIN);
    return protocol === 'https:' || protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The host name of an absolute `http(s):` URL, for showing users where an app lives. */
export function hostOf(url: string | undefined): string | undefined {
  const safe = safeUrl(url);
  if (safe === undefined) return undefined;
  try {
    // Relative references throw here: they have no host of their own.
    return new URL(safe).host || undefined;
  } catch {
    return undefined;
  }
}
