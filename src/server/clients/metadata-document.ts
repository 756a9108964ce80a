/**
 * A fetched client metadata document turned into the client it describes
 * (draft-ietf-oauth-client-id-metadata-document §4): a public client whose `client_id` is the URL.
 */
import type { ClientRecord, GrantType, Json, SigningAlg } from '../../stores/contract.js';
import { OPENID_SCOPES } from '../claims.js';
import { isValidScopeToken } from '../scope.js';
import { checkRedirectUri } from '../admin/redirect-uris.js';

/** A document that cannot be used; `message` names the rule, never a value from the document. */
export class InvalidMetadataDocument extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMetadataDocument';
  }
}

/** Marks a client made from a metadata document (in `extra`): shown as unverified on the consent page. */
export const METADATA_DOCUMENT_MARK = 'client_id_metadata_document';

/** Whether `client` came from a client metadata document rather than the registry. */
export function isMetadataDocumentClient(client: Pick<ClientRecord, 'extra'>): boolean {
  return client.extra[METADATA_DOCUMENT_MARK] === true;
}

const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];
const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'RS256'];
/** Authentication methods built on a shared secret, which a document can never establish (CIMD §4). */
const SHARED_SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);
/** Display metadata kept for the consent page (links only, never fetched by the server). */
const LINKS = ['client_uri', 'policy_uri', 'tos_uri'] as const;

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new InvalidMetadataDocument(`${field} must be an array of strings`);
  return value;
}

function redirectUriList(value: unknown, field: string): string[] {
  const uris = stringList(value, field) ?? [];
  for (const uri of uris) {
    try {
      checkRedirectUri(uri, field, true);
    } catch {
      throw new InvalidMetadataDocument(`${field} holds a URI that is not allowed`);
    }
  }
  return [...new Set(uris)];
}

/**
 * The client `document` describes, fetched from `url` at `now`.
 *
 * CIMD §4: a JSON object whose `client_id` is the URL, compared as strings (RFC 3986 §6.2.1); no
 * `client_secret` or `client_secret_expires_at`; no method based on a shared secret. Beyond the
 * draft (which lets other specifications narrow it, §4): only public clients for now
 * (`token_endpoint_auth_method` `none`, or absent, which means `none` here as there can be no
 * secret); `private_key_jwt` is refused until this server supports it. Then the metadata is
 * checked as a registration's (RFC 7591 §2): `redirect_uris` required (https, loopback http, or a
 * private-use scheme, RFC 8252), grant types this server can give a public client, `code` only,
 * scopes it advertises. Unknown members are ignored (§4 allows them). `logo_uri` is not kept: the
 * server does not fetch or show images a document names (§8.8 asks to prefetch and moderate them).
 *
 * @throws {InvalidMetadataDocument} naming the broken rule.
 */
export function clientFromDocument(url: string, document: unknown, now: number, advertisedScopes: readonly string[]): ClientRecord {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new InvalidMetadataDocument('the document is not a JSON object');
  const doc = document as Record<string, unknown>;
  if (doc.client_id !== url) throw new InvalidMetadataDocument('client_id does not match the document URL');
  if ('client_secret' in doc || 'client_secret_expires_at' in doc) throw new InvalidMetadataDocument('a document must not hold a client secret');
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (typeof method !== 'string') throw new InvalidMetadataDocument('token_endpoint_auth_method must be a string');
  if (SHARED_SECRET_METHODS.has(method)) throw new InvalidMetadataDocument('a document cannot use a method based on a shared secret');
  if (method === 'private_key_jwt') throw new InvalidMetadataDocument('private_key_jwt is not supported yet: only public clients (none)');
  if (method !== 'none') throw new InvalidMetadataDocument('token_endpoint_auth_method must be none');

  const redirectUris = redirectUriList(doc.redirect_uris, 'redirect_uris');
  if (redirectUris.length === 0) throw new InvalidMetadataDocument('redirect_uris is required');
  const postLogoutRedirectUris = redirectUriList(doc.post_logout_redirect_uris, 'post_logout_redirect_uris');

  const grantTypes = [...new Set(stringList(doc.grant_types, 'grant_types') ?? ['authorization_code'])];
  if (!grantTypes.every((grant) => (GRANT_TYPES as readonly string[]).includes(grant))) {
    throw new InvalidMetadataDocument('grant_types may hold only authorization_code and refresh_token');
  }
  if (!grantTypes.includes('authorization_code')) throw new InvalidMetadataDocument('grant_types must include authorization_code');
  const responseTypes = stringList(doc.response_types, 'response_types') ?? ['code'];
  if (!responseTypes.every((type) => type === 'code')) throw new InvalidMetadataDocument('response_types may hold only code');

  if (doc.scope !== undefined && typeof doc.scope !== 'string') throw new InvalidMetadataDocument('scope must be a string');
  const scope = typeof doc.scope === 'string' ? doc.scope.split(' ').filter(Boolean) : OPENID_SCOPES.filter((token) => token !== 'offline_access' || grantTypes.includes('refresh_token'));
  if (!scope.every((token) => isValidScopeToken(token) && advertisedScopes.includes(token))) {
    throw new InvalidMetadataDocument('scope holds a scope this server does not offer');
  }

  const alg = doc.id_token_signed_response_alg ?? 'ES256';
  if (!(SIGNING_ALGS as readonly unknown[]).includes(alg)) throw new InvalidMetadataDocument('id_token_signed_response_alg is not supported');
  const name = doc.client_name ?? new URL(url).host;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) throw new InvalidMetadataDocument('client_name must be a string of 1 to 200 characters');

  const extra: Record<string, Json> = { [METADATA_DOCUMENT_MARK]: true };
  for (const link of LINKS) {
    const value = doc[link];
    if (value === undefined) continue;
    if (typeof value !== 'string' || URL.parse(value)?.protocol !== 'https:') throw new InvalidMetadataDocument(`${link} must be an https URL`);
    extra[link] = value;
  }
  return {
    clientId: url,
    clientSecretHash: null,
    clientName: name.trim(),
    redirectUris,
    postLogoutRedirectUris,
    grantTypes: grantTypes as GrantType[],
    scope: [...new Set(scope)].join(' '),
    tokenEndpointAuthMethod: 'none',
    idTokenSignedResponseAlg: alg as SigningAlg,
    resources: [],
    isResourceServer: false,
    extra,
    createdAt: now,
    updatedAt: now,
  };
}
