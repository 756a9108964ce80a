/**
 * The `WWW-Authenticate: Bearer` challenge of RFC 6750 §3, built in one place for the server's
 * UserInfo endpoint and the resource guard. Quoted values never hold `"` or `\` (they are dropped),
 * so nothing a caller sent can break out of a parameter. `resourceMetadata` is the RFC 9728 §5.1
 * `resource_metadata` parameter: the URL of the resource's metadata document, from which a client
 * that has never met the resource learns its authorization server.
 *
 * @example
 * bearerChallenge({ realm: 'api', error: 'insufficient_scope', description: 'needs notes:read', scope: ['notes:read'] });
 * // 'Bearer realm="api", error="insufficient_scope", error_description="needs notes:read", scope="notes:read"'
 */
export function bearerChallenge(parts: {
  realm: string;
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined;
  description?: string;
  scope?: readonly string[] | undefined;
  resourceMetadata?: string | undefined;
}): string {
  const quote = (value: string) => value.replace(/["\\]/g, '');
  const params = [`realm="${quote(parts.realm)}"`];
  if (parts.error) {
    params.push(`error="${parts.error}"`);
    if (parts.description !== undefined) params.push(`error_description="${quote(parts.description)}"`);
  }
  if (parts.scope) params.push(`scope="${quote(parts.scope.join(' '))}"`);
  if (parts.resourceMetadata) params.push(`resource_metadata="${quote(parts.resourceMetadata)}"`);
  return `Bearer ${params.join(', ')}`;
}
