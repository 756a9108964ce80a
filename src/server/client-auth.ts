import { OAuthError } from '../core/errors.js';
import type { ClientAuthMethod, ClientRecord } from '../stores/contract.js';
import type { FormParams } from './http/form.js';
import { parseIpRanges } from './protection/ip-ranges.js';
import type { AuditLog } from './audit/audit-log.js';
import { auditEvent } from './audit/events.js';
import { rateLimitedError, recordRateLimitHit } from './protection/rate-limited.js';
import { clientAddress, type ServerContext } from './context.js';
import { ClientDocumentError } from './clients/client-documents.js';
import { findClient } from './clients/find-client.js';

/** Purpose label of the keyed hash of client secrets. */
export const CLIENT_SECRET_PURPOSE = 'client-secret';

/** What the request presented, before it is checked against the registry. */
interface PresentedCredentials {
  method: ClientAuthMethod;
  clientId: string;
  clientSecret?: string;
}

/** Authentication methods this server supports at its token, introspection and revocation endpoints. */
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none'];

/** What client authentication works with. */
export type ClientAuthContext = Pick<ServerContext, 'store' | 'secrets' | 'audit' | 'limits' | 'metrics' | 'request' | 'clientDocuments'>;

/**
 * Authenticates the client of a back-channel request (RFC 6749 §2.3).
 * Exactly one method may be used (§2.3: "MUST NOT use more than one authentication method").
 * Every failure is `invalid_client` (401 with `WWW-Authenticate`, §5.2) without saying whether the
 * client exists. Spend, then check: each attempt takes a point of the client id + address budget
 * (`clientAuthPerClientIp`) before the secret is compared, and a success gives it back, so a flood
 * of guesses gets `429` once the budget is spent, even with the right secret inside it.
 */
export async function authenticateClient(ctx: ClientAuthContext, request: Request, params: FormParams): Promise<ClientRecord> {
  const { secrets, audit, limits } = ctx;
  const presented = presentedCredentials(request, params);
  const ip = clientAddress(ctx);
  let client: ClientRecord | undefined;
  let documentRefused = false;
  try {
    client = await findClient(ctx, presented.clientId);
  } catch (error) {
    // CIMD: a document that cannot be fetched or is invalid is no client: invalid_client, as an
    // unknown one (the reason is logged where the document was refused).
    if (!(error instanceof ClientDocumentError)) throw error;
    documentRefused = true;
  }
  const attempt = await limits.reserve([{ limiter: 'clientAuthPerClientIp', key: `${presented.clientId}|${ip}` }]);
  if (attempt.limited) {
    await recordRateLimitHit(ctx, attempt.limited, client ? { client_id: client.clientId } : {});
    throw rateLimitedError(attempt.limited);
  }
  const failed = async (reason: string) => {
    // Bounded: a flood of unknown client ids (or wrong secrets) cannot grow the audit chain without end.
    if (await limits.auditAllowed(`client.authentication_failed:${reason}`, client === undefined ? ip : `${presented.clientId}|${ip}`)) {
      audit.recordLater(auditEvent('client.authentication_failed', { ...(client ? { client_id: client.clientId } : {}), reason }));
    }
    return invalidClient('client authentication failed');
  };
  if (!client) throw await failed(documentRefused ? 'metadata_document_refused' : 'unknown_client');
  // Same answer as for an unknown client: saying which method is expected would confirm the client exists.
  if (client.tokenEndpointAuthMethod !== presented.method) throw await failed('wrong_method');
  if (presented.method !== 'none') {
    const valid =
      client.clientSecretHash !== null &&
      presented.clientSecret !== undefined &&
      secrets.verifyHash(presented.clientSecret, CLIENT_SECRET_PURPOSE, client.clientSecretHash);
    if (!valid) throw await failed('bad_secret');
  }
  await attempt.refund();
  await checkClientAddress(client, audit, ctx.request.ip);
  return client;
}

/**
 * A client registered with `allowed_ips` may call the token, introspection and revocation
 * endpoints only from those addresses (IPv4/IPv6 CIDR); anything else is refused, and logged.
 */
async function checkClientAddress(client: ClientRecord, audit: AuditLog, ip: string | null): Promise<void> {
  const allowed = client.extra.allowed_ips;
  if (!Array.isArray(allowed) || allowed.length === 0) return;
  if (parseIpRanges(allowed as string[], 'allowed_ips').has(ip)) return;
  await audit.record(auditEvent('client.address_refused', { client_id: client.clientId }));
  throw new OAuthError('unauthorized_client', 'requests for this client are not allowed from this address', { status: 403 });
}

function presentedCredentials(request: Request, params: FormParams): PresentedCredentials {
  const authorization = request.headers.get('authorization');
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  if (authorization !== null) {
    const basic = parseBasic(authorization);
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'the client must not use more than one authentication method');
    }
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body does not match the Authorization header');
    }
    return { method: 'client_secret_basic', ...basic };
  }
  if (bodyId === undefined) throw invalidClient('client authentication is required');
  if (bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret };
  return { method: 'none', clientId: bodyId };
}

/**
 * HTTP Basic with the client id and secret each form-urlencoded before Base64 (RFC 6749 §2.3.1),
 * so `+` in either part stands for a space and `%2B` for a plus.
 */
function parseBasic(header: string): { clientId: string; clientSecret: string } {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match) throw invalidClient('the Authorization header is not valid HTTP Basic credentials');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('the Authorization header is not valid HTTP Basic credentials');
  try {
    const clientId = formDecode(decoded.slice(0, colon));
    const clientSecret = formDecode(decoded.slice(colon + 1));
    if (!clientId) throw new Error('empty client id');
    return { clientId, clientSecret };
  } catch {
    throw invalidClient('the Authorization header is not valid HTTP Basic credentials');
  }
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** RFC 6749 §5.2 `invalid_client`; RFC 7235 §3.1 requires `WWW-Authenticate` on every 401. */
export function invalidClient(description: string): OAuthError {
  return new OAuthError('invalid_client', description, {
    status: 401,
    headers: { 'WWW-Authenticate': 'Basic realm="gatehouse", charset="UTF-8"' },
  });
}
