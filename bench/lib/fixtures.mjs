/**
 * What both servers are configured with, so that every case sends the same request to each:
 * one confidential client (client_secret_basic) allowed client_credentials, authorization_code and
 * refresh_token; one user; one API (an RFC 8707 resource) whose access tokens are ES256 JWTs.
 */
import { createHash, randomBytes } from 'node:crypto';

/** The API the JWT access tokens are for (RFC 8707 resource indicator, token `aud`). */
export const API = 'https://api.bench.example';
/** The API's scope. */
export const API_SCOPE = 'api:read';
/** Never dereferenced: the load generator reads the code from the 303's Location. */
export const REDIRECT_URI = 'https://app.bench.example/callback';
/** The client's full scope; each case asks for what it needs. */
export const CLIENT_SCOPE = `openid profile email offline_access ${API_SCOPE}`;

/** The peer's client (oidc-provider takes the id and secret as configured). */
export const PEER_CLIENT = { clientId: 'bench-client', clientSecret: 'bench-client-secret-0123456789abcdefghijklmnop' };

/** The one user. Gatehouse stores it with an argon2id hash; the peer's dev login accepts any password. */
export const USER = {
  username: 'alice',
  password: 'correct horse battery staple',
  email: 'alice@example.com',
  name: 'Alice Liddell',
};

/** Gatehouse's installation secret for the run (any 32+ characters). */
export const GATEHOUSE_SECRET = 'bench-secret-not-for-production-0123456789';

/** RFC 7636 S256 pair. */
export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** `Authorization: Basic` for a client (RFC 6749 §2.3.1: form-encode, then base64). */
export function basic(clientId, clientSecret) {
  const encode = (value) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** application/x-www-form-urlencoded body. */
export function form(fields) {
  return new URLSearchParams(fields).toString();
}

/**
 * The authorization request (query) of a flow: code + PKCE S256 + state + nonce. `resource` asks
 * for a JWT access token for {@link API} (the peer issues JWT access tokens only for a resource
 * server; Gatehouse ignores `resource` at /authorize and takes it at /token).
 */
export function authorizeQuery(clientId, { scope, challenge, resource = true, prompt }) {
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope,
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(resource ? { resource: API } : {}),
    ...(prompt ? { prompt } : {}),
  };
  return new URLSearchParams(params).toString();
}
