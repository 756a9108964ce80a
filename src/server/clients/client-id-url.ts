/**
 * Client identifier URLs (draft-ietf-oauth-client-id-metadata-document §3): which `client_id`s
 * name a metadata document, and whether one is well-formed.
 */

/** Longest client identifier URL accepted (as the authorization endpoint's other parameters). */
const MAX_CLIENT_ID_URL_LENGTH = 2048;

/**
 * Whether `clientId` claims to be a client identifier URL: it starts with `https://` (or
 * `http://` where plain http is allowed, in tests). Client ids this server generates never do
 * (CIMD §8, "Supporting Both Pre-Registered and Unregistered Clients").
 */
export function isClientIdUrl(clientId: string, allowHttp = false): boolean {
  return clientId.startsWith('https://') || (allowHttp && clientId.startsWith('http://'));
}

/**
 * Why `clientId` is not a usable client identifier URL, or `undefined` when it is. CIMD §3: an
 * `https` scheme, a path component, no `.` or `..` path segments, no fragment, no username or
 * password (a port and a query are allowed). Beyond the draft, the URL must be written in its
 * canonical form (as the WHATWG URL parser writes it back: lower-case host, no default port, no
 * needless escapes), so that two different `client_id` strings never name one document.
 */
export function clientIdUrlProblem(clientId: string, allowHttp = false): string | undefined {
  if (clientId.length > MAX_CLIENT_ID_URL_LENGTH) return 'too long';
  const url = URL.parse(clientId);
  if (url === null) return 'not a URL';
  if (!(url.protocol === 'https:' || (allowHttp && url.protocol === 'http:'))) return 'not https';
  const afterScheme = clientId.slice(url.protocol.length + 2);
  const authorityEnd = afterScheme.search(/[/?#]/);
  const authority = authorityEnd === -1 ? afterScheme : afterScheme.slice(0, authorityEnd);
  if (authority.includes('@') || url.username !== '' || url.password !== '') return 'has a username or password';
  if (clientId.includes('#')) return 'has a fragment';
  const rest = authorityEnd === -1 ? '' : afterScheme.slice(authorityEnd);
  if (!rest.startsWith('/')) return 'has no path';
  const path = rest.split('?')[0]!;
  if (path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) return 'has a dot segment';
  if (url.href !== clientId) return 'is not in canonical form';
  return undefined;
}
