/**
 * The peer: panva's oidc-provider, configured as Gatehouse is by default — one confidential
 * client; ES256 JWT access tokens for the API (RFC 8707 resource indicator, the only way it issues
 * JWT access tokens); ES256 ID tokens; PKCE required; refresh-token rotation on every use;
 * client_credentials, introspection and revocation on; and storage in a plain `Map` (no LRU, no
 * expiry sweeps), so its store costs no more than Gatehouse's memory store.
 *
 * Sign-in goes through its development interactions (`devInteractions`): any login name, no
 * password check. The benchmark measures the SSO path (session + remembered consent), which does
 * not reach those pages; password sign-ins are measured against the argon2id limit instead.
 */
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { API, API_SCOPE, CLIENT_SCOPE, PEER_CLIENT, REDIRECT_URI, USER } from '../lib/fixtures.mjs';
import { announce, onStop, portOf } from './child.mjs';

/** Every model in one `Map` per model name, as oidc-provider's adapter contract asks. */
const storage = new Map();
const grants = new Map();
const sessionUids = new Map();

/**
 * oidc-provider's adapter contract over plain Maps: upsert/find/consume/destroy, the session `uid`
 * index and revoke-by-grant. Expiry is left to oidc-provider, which checks `exp` on every find.
 */
class MapAdapter {
  constructor(model) {
    this.model = model;
    if (!storage.has(model)) storage.set(model, new Map());
    this.rows = storage.get(model);
  }

  async upsert(id, payload) {
    this.rows.set(id, payload);
    if (this.model === 'Session' && payload.uid) sessionUids.set(payload.uid, id);
    if (payload.grantId) {
      let members = grants.get(payload.grantId);
      if (!members) grants.set(payload.grantId, (members = []));
      members.push([this.model, id]);
    }
  }

  async find(id) {
    return this.rows.get(id);
  }

  async findByUid(uid) {
    const id = sessionUids.get(uid);
    return id === undefined ? undefined : this.rows.get(id);
  }

  async findByUserCode() {
    return undefined;
  }

  async consume(id) {
    const payload = this.rows.get(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    this.rows.delete(id);
  }

  async revokeByGrantId(grantId) {
    for (const [model, id] of grants.get(grantId) ?? []) storage.get(model)?.delete(id);
    grants.delete(grantId);
  }
}

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const http = createServer();
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
const port = portOf(http);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: PEER_CLIENT.clientId,
      client_secret: PEER_CLIENT.clientSecret,
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: CLIENT_SCOPE,
    },
  ],
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  findAccount: (_ctx, sub) => ({
    accountId: sub,
    claims: () => ({ sub, email: USER.email, email_verified: true, name: USER.name, preferred_username: USER.username }),
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
  scopes: ['openid', 'offline_access', 'profile', 'email', API_SCOPE],
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: () => true },
    revocation: { enabled: true, allowedPolicy: () => true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== API) throw new Provider.errors.InvalidTarget();
        return { scope: API_SCOPE, audience: API, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
      },
    },
  },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  // Gatehouse's defaults, so both sides keep the same things for the same time.
  ttl: {
    AccessToken: 3600,
    ClientCredentials: 3600,
    IdToken: 3600,
    RefreshToken: 2_592_000,
    AuthorizationCode: 60,
    Grant: 2_592_000,
    Session: 1_209_600,
    Interaction: 1800,
  },
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-peer-cookie-key-0123456789abcdef'] },
  // Gatehouse's tokens outlive the SSO session (they rest on the consent); the peer's do too here.
  expiresWithSession: () => false,
});
provider.proxy = false;
// Quiet: errors the load provokes (none expected) would otherwise flood stderr.
provider.on('server_error', (_ctx, error) => process.stderr.write(`peer server_error: ${error?.stack ?? error}\n`));
http.on('request', provider.callback());

onStop(
  () =>
    new Promise((resolve) => {
      http.closeAllConnections();
      http.close(resolve);
    }),
);
announce(port, { issuer, clientId: PEER_CLIENT.clientId, clientSecret: PEER_CLIENT.clientSecret });
