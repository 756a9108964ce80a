/**
 * The cases. An HTTP case is a flow of requests (see load.mjs) built from a server's prepared
 * material, sent identically to Gatehouse and the peer; an in-process case runs in its own child.
 * `against` names what the second column is, since not every case compares with oidc-provider.
 */
import { API, API_SCOPE, authorizeQuery, form, pkce, REDIRECT_URI, USER } from './fixtures.mjs';

const FORM = 'application/x-www-form-urlencoded';
// Also their turn order (reversed every other round).
const SERVERS = ['gatehouse-memory', 'peer', 'gatehouse-sqlite', 'gatehouse-pg-redis'];
const PEER = 'oidc-provider';

/** Reads a JSON string member without parsing the whole body (the generator's CPU is shared). */
function member(body, name) {
  return new RegExp(`"${name}":"([^"]+)"`).exec(body)?.[1];
}

function cookieValue(setCookie, name) {
  for (const header of [setCookie ?? []].flat()) {
    const match = new RegExp(`(?:^|[;,]\\s*)${name}=([^;]+)`).exec(header);
    if (match) return match[1];
  }
  return undefined;
}

/** @type {Array<object>} */
export const CASES = [
  {
    id: 'client_credentials',
    title: 'client_credentials token (ES256 JWT)',
    unit: 'req/s',
    against: PEER,
    processes: SERVERS,
    steps: (m) => [
      {
        method: 'POST',
        path: m.tokenPath,
        headers: { authorization: m.auth, 'content-type': FORM },
        body: form({ grant_type: 'client_credentials', scope: API_SCOPE, resource: API }),
        status: 200,
      },
    ],
  },
  {
    id: 'introspect_access',
    title: 'introspection, active access token',
    unit: 'req/s',
    against: PEER,
    processes: SERVERS,
    steps: (m) => [
      {
        method: 'POST',
        path: m.introspectionPath,
        headers: { authorization: m.auth, 'content-type': FORM },
        body: form({ token: m.userAccessToken, token_type_hint: 'access_token' }),
        status: 200,
        check: (body) => body.includes('"active":true'),
      },
    ],
  },
  {
    id: 'introspect_refresh',
    title: 'introspection, active refresh token',
    unit: 'req/s',
    against: PEER,
    processes: SERVERS,
    steps: (m) => [
      {
        method: 'POST',
        path: m.introspectionPath,
        headers: { authorization: m.auth, 'content-type': FORM },
        body: form({ token: m.spareRefreshToken, token_type_hint: 'refresh_token' }),
        status: 200,
        check: (body) => body.includes('"active":true'),
      },
    ],
  },
  {
    id: 'refresh',
    title: 'refresh_token grant, rotation on',
    unit: 'req/s',
    against: PEER,
    processes: SERVERS,
    // Each request takes the latest token of one chain and puts the rotated one back: no token is
    // ever presented twice (that would revoke its family on both servers).
    needsChains: true,
    steps: (m) => [
      {
        method: 'POST',
        path: m.tokenPath,
        headers: { authorization: m.auth, 'content-type': FORM },
        setup: (context) => {
          // Out of chains (requests failed and their chains ended): an unknown token, so the
          // failure is counted and shown instead of stopping the run.
          const chain = m.chains.pop() ?? { token: 'no-refresh-token-chain-left' };
          context.chain = chain;
          return { body: form({ grant_type: 'refresh_token', refresh_token: chain.token, resource: API }) };
        },
        status: 200,
        check: (body, _headers, context) => {
          const next = member(body, 'refresh_token');
          if (!next || next === context.chain.token) return false;
          context.chain.token = next;
          m.chains.unshift(context.chain);
          return true;
        },
      },
    ],
  },
  {
    id: 'userinfo',
    title: 'userinfo',
    unit: 'req/s',
    against: PEER,
    processes: SERVERS,
    steps: (m) => [{ method: 'GET', path: m.userinfoPath, headers: { authorization: `Bearer ${m.userAccessToken}` }, status: 200 }],
  },
  {
    id: 'sso_flow',
    title: 'authorization code + PKCE, SSO session, consent remembered (authorize → code → token)',
    unit: 'flows/s',
    against: PEER,
    processes: SERVERS,
    steps: (m) => [
      {
        method: 'GET',
        headers: { cookie: m.cookie },
        setup: (context) => {
          const flow = m.nextFlow();
          context.verifier = flow.verifier;
          return { path: flow.path };
        },
        status: 303,
        check: (_body, headers, context) => {
          const location = headers.location;
          if (typeof location !== 'string' || !location.startsWith(REDIRECT_URI)) return false;
          context.code = new URL(location).searchParams.get('code');
          return Boolean(context.code);
        },
      },
      {
        method: 'POST',
        path: m.tokenPath,
        headers: { authorization: m.auth, 'content-type': FORM },
        setup: (context) => ({
          body: form({ grant_type: 'authorization_code', code: context.code, code_verifier: context.verifier, redirect_uri: REDIRECT_URI, resource: API }),
        }),
        status: 200,
        check: (body) => body.includes('"id_token"'),
      },
    ],
  },
  {
    id: 'password_sign_in',
    title: 'password sign-in (authorize → login page → login POST)',
    unit: 'sign-ins/s',
    against: 'argon2id verify limit, same run',
    // The peer's development login checks no password: the comparison is the machine's argon2id
    // limit, measured in turn with the Gatehouse servers.
    processes: ['gatehouse-memory', 'argon2', 'gatehouse-sqlite', 'gatehouse-pg-redis'],
    reference: 'argon2',
    connections: 8,
    // argon2id verifications in flight in the reference process: one per libuv thread.
    concurrency: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    steps: (m) => {
      const { challenge } = pkce();
      const authorizePath = `${m.authorizationPath}?${authorizeQuery(m.clientId, { scope: 'openid', challenge, resource: false })}`;
      return [
        {
          method: 'GET',
          path: authorizePath,
          status: 303,
          check: (_body, headers, context) => {
            context.browser = cookieValue(headers['set-cookie'], 'gh_browser');
            const location = headers.location;
            if (!context.browser || typeof location !== 'string' || !location.includes('/interaction/')) return false;
            context.interaction = new URL(location).pathname;
            return true;
          },
        },
        {
          method: 'GET',
          setup: (context) => ({ path: context.interaction, headers: { cookie: `gh_browser=${context.browser}` } }),
          status: 200,
          check: (body, _headers, context) => {
            context.csrf = /name="csrf" value="([^"]+)"/.exec(body)?.[1];
            return Boolean(context.csrf);
          },
        },
        {
          method: 'POST',
          setup: (context) => ({
            path: `${context.interaction}/login`,
            headers: { cookie: `gh_browser=${context.browser}`, 'content-type': FORM },
            body: form({ username: USER.username, password: USER.password, csrf: context.csrf }),
          }),
          // Success is a 303 to the next step; a failed sign-in re-renders the login page (200).
          status: 303,
        },
      ];
    },
  },
  {
    id: 'guard',
    title: 'resource guard: verify an ES256 JWT access token, in process',
    unit: 'verifies/s',
    against: 'raw jose.jwtVerify, same tokens and checks',
    processes: ['guard-gatehouse', 'guard-jose'],
    concurrency: 16,
  },
  {
    id: 'floor',
    title: 'hello JSON: the HTTP framework floor',
    unit: 'req/s',
    against: "Koa (oidc-provider's framework)",
    processes: ['floor-hono', 'floor-koa', 'floor-node'],
    steps: () => [{ method: 'GET', path: '/', status: 200 }],
  },
];
