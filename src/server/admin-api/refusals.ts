import type { z } from 'zod';
import { NO_STORE, OAuthError } from '../../core/errors.js';
import { AdminNotFoundError, type AdminInputError } from '../admin/input-error.js';
import { json } from '../http/responses.js';

/** One member at fault: its dotted path in the body (`redirect_uris.0`) and what is wrong, never its value. */
export interface FieldError {
  field: string;
  message: string;
}

/** The admin operations' field names (the command's flags) as the API's members. */
const WIRE_NAMES: Record<string, string> = {
  name: 'name',
  'redirect-uri': 'redirect_uris',
  'post-logout-redirect-uri': 'post_logout_redirect_uris',
  grant: 'grant_types',
  'auth-method': 'token_endpoint_auth_method',
  'id-token-alg': 'id_token_signed_response_alg',
  resource: 'resources',
  'resource-server': 'is_resource_server',
  serves: 'served_resources',
  'logo-uri': 'logo_uri',
  'client-uri': 'client_uri',
  'allowed-ip': 'allowed_ips',
  'allow-nonce-without-pkce': 'allow_nonce_without_pkce',
  jwks: 'jwks',
  'jwks-uri': 'jwks_uri',
  'require-signed-request-object': 'require_signed_request_object',
  'token-endpoint-auth-signing-alg': 'token_endpoint_auth_signing_alg',
  'request-object-signing-alg': 'request_object_signing_alg',
  profile: 'profile',
};

/**
 * `400` `invalid_request` naming the members at fault. The description is fixed text (RFC 6749
 * §5.2's characters, never the input); `fields` says which member and why.
 */
export function invalidRequest(description: string, fields?: FieldError[], status = 400): Response {
  const error = new OAuthError('invalid_request', description);
  return json({ ...error.toJSON(), ...(fields && fields.length > 0 ? { fields } : {}) }, status, NO_STORE);
}

/** Query parameters at fault (`GET /audit/events`): answered `400` naming each, as a body's fields are. */
export class InvalidParametersError extends Error {
  readonly fields: FieldError[];
  constructor(fields: FieldError[]) {
    super('the request has invalid parameters');
    this.name = 'InvalidParametersError';
    this.fields = fields;
  }
}

/** `409` for a value another record holds (a username, an email): the member named, not its value. */
export function conflict(field: string): Response {
  return invalidRequest('a unique value is already taken', [{ field: WIRE_NAMES[field] ?? field, message: 'is already taken' }], 409);
}

/** `404` for an id that names no record. */
function notFound(description: string): Response {
  return new OAuthError('invalid_request', description, { status: 404 }).toResponse();
}

/** What each zod issue says, in our words: the limits and choices are ours, the input is never repeated. */
function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${issue.expected === 'int' ? 'a whole number' : `of type ${issue.expected}`}`;
    case 'too_small':
      return boundMessage('at least', issue.origin, issue.minimum);
    case 'too_big':
      return boundMessage('at most', issue.origin, issue.maximum);
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    case 'custom':
      return issue.message;
    default:
      return 'is not valid';
  }
}

/** A length or size bound in words: "must be at least 3 characters", "must have at most 10 entries". */
function boundMessage(which: 'at least' | 'at most', origin: string, bound: number | bigint): string {
  if (origin === 'string') return `must be ${which} ${String(bound)} characters`;
  if (origin === 'array') return `must have ${which} ${String(bound)} entries`;
  return `must be ${which} ${String(bound)}`;
}

/** A member name from the request, bounded and printable, for `field`. */
function memberName(key: PropertyKey): string {
  return String(key)
    .replace(/[^\x20-\x7E]/g, '')
    .slice(0, 64);
}

/** The fields of a failed zod parse; an unknown member is named as the field, with nothing of its value. */
export function zodFields(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(memberName);
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ field: [...path, memberName(key)].join('.'), message: 'is not a member of this body' }));
    return [{ field: path.join('.') || '(body)', message: issueMessage(issue) }];
  });
}

/**
 * The answer to an {@link AdminInputError} from the admin operations: `404` when it named no
 * record, else `400` with the member at fault. Its message quotes the value at fault (the command
 * shows it to the operator who typed it); here the quoted part, from the first `"` to the last, is
 * taken out, so nothing the request sent is repeated.
 */
export function adminInputRefusal(error: AdminInputError): Response {
  if (error instanceof AdminNotFoundError) {
    const what = {
      user: 'no user with this sub, username or email',
      consent: 'no standing consent of this user with this id',
      session: 'no sign-in session of this user with this sid',
    }[error.field];
    return notFound(what ?? 'no client with this id');
  }
  const message = error.message.slice(error.field.length + 2).replace(/".*"/s, 'the value');
  return invalidRequest('the request has invalid fields', [{ field: WIRE_NAMES[error.field] ?? error.field, message }]);
}
