/**
 * A fetched client metadata document turned into the client it describes
 * (draft-ietf-oauth-client-id-metadata-document §4): a public client whose `client_id` is the URL.
 */
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord, GrantType } from '../../stores/contract.js';
import { defaultScope } from '../admin/clients.js';
import { clientRecordFields, validateClientMetadata } from './metadata.js';

/** A document that cannot be used; `message` names the rule, never a value from the document. */
export class InvalidMetadataDocument extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMetadataDocument';
  }
}

/** Marks a client made from a metadata document (in `extra`): shown as unverified on the consent page. */
const METADATA_DOCUMENT_MARK = 'client_id_metadata_document';

/** Whether `client` came from a client metadata document rather than the registry. */
export function isMetadataDocumentClient(client: Pick<ClientRecord, 'extra'>): boolean {
  return client.extra[METADATA_DOCUMENT_MARK] === true;
}

/** Authentication methods built on a shared secret, which a document can never establish (CIMD §4). */
const SHARED_SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);
const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];

/**
 * The client `document` describes, fetched from `url` at `now`.
 *
 * CIMD §4: a JSON object whose `client_id` is the URL, compared as strings (RFC 3986 §6.2.1); no
 * `client_secret` or `client_secret_expires_at`; no method based on a shared secret. Beyond the
 * draft (which lets other specifications narrow it, §4): only public clients for now
 * (`token_endpoint_auth_method` `none`, or absent, which means `none` here since a document can
 * establish no secret); `private_key_jwt` is refused until this server supports it. The rest is
 * validated as a dynamic registration's metadata ({@link validateClientMetadata}, RFC 7591 §2):
 * `redirect_uris` required (https, loopback http, or a private-use scheme, RFC 8252), the
 * `authorization_code` and `refresh_token` grants only, scopes the server offers; unknown members
 * ignored (CIMD §4 allows them). Without a `client_name`, the client is named by its URL's host
 * (what CIMD §8.4 asks to show). `logo_uri` is not kept: the server neither prefetches nor
 * moderates logos, which CIMD §8.8 asks of a server that shows them.
 *
 * @throws {InvalidMetadataDocument} naming the broken rule, never a value of the document.
 */
export function clientFromDocument(url: string, document: unknown, now: number, scopes: readonly string[]): ClientRecord {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new InvalidMetadataDocument('the document is not a JSON object');
  const doc = document as Record<string, unknown>;
  if (doc.client_id !== url) throw new InvalidMetadataDocument('client_id does not match the document URL');
  if (doc.client_secret !== undefined || doc.client_secret_expires_at !== undefined)
    throw new InvalidMetadataDocument('a document must not hold a client secret');
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (typeof method === 'string' && SHARED_SECRET_METHODS.has(method))
    throw new InvalidMetadataDocument('a document cannot use a method based on a shared secret');
  if (method === 'private_key_jwt') throw new InvalidMetadataDocument('private_key_jwt is not supported yet: only public clients (none)');
  // Keys would only serve private_key_jwt or request objects, neither offered to document clients
  // yet: refused, so that no document believes its keys were taken.
  if (doc.jwks !== undefined || doc.jwks_uri !== undefined) throw new InvalidMetadataDocument('jwks and jwks_uri are not supported in a document yet');
  let fields: ReturnType<typeof clientRecordFields>;
  try {
    const metadata = validateClientMetadata(
      { ...doc, token_endpoint_auth_method: method },
      { authMethods: ['none'], grantTypes: GRANT_TYPES, scopes, redirectUris: 'any', defaultScope },
    );
    fields = clientRecordFields(metadata);
  } catch (error) {
    if (error instanceof OAuthError) throw new InvalidMetadataDocument(error.message);
    throw error;
  }
  const { logo_uri: _logo, ...extra } = fields.extra;
  // Not kept: back-channel logout reads the client from the store when it sends, and a document's
  // client is never stored, so it would never be told.
  const { backchannelLogoutUri: _backchannel, backchannelLogoutSessionRequired: _sessionRequired, ...kept } = fields;
  return {
    ...kept,
    clientName: typeof doc.client_name === 'string' && doc.client_name.trim() !== '' ? fields.clientName : new URL(url).host,
    extra: { ...extra, [METADATA_DOCUMENT_MARK]: true },
    clientId: url,
    clientSecretHash: null,
    createdAt: now,
    updatedAt: now,
  };
}
