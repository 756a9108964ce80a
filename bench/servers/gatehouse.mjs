/**
 * Gatehouse as a user runs it: `createAuthorizationServer` served by `@hono/node-server`, with
 * defaults (ES256 JWT access tokens, refresh-token rotation with no reuse grace, PKCE S256), logging
 * off. `node servers/gatehouse.mjs memory|sqlite|pg-redis` (pg-redis: PostgreSQL + Redis as the CLI
 * builds them, see pg-redis.mjs). The client and the user are registered through the admin
 * functions the CLI uses.
 */
import { serve } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, CLIENT_SCOPE, GATEHOUSE_SECRET, REDIRECT_URI, USER } from '../lib/fixtures.mjs';
import { gatehouse } from '../lib/dist.mjs';
import { announce, onProbe, onStop, portOf, skip } from './child.mjs';
import { openPgRedis } from './pg-redis.mjs';

const kind = process.argv[2] ?? 'memory';
const { createAuthorizationServer } = await gatehouse('server/index.js');
const { SecretKeys } = await gatehouse('core/secret.js');
const { registerClient } = await gatehouse('server/admin/clients.js');
const { createUser } = await gatehouse('server/admin/users.js');

let directory;
let store;
/** The production combination: what the CLI adds to the options, counters, clean-up. */
let production;
if (kind === 'memory') {
  const { createMemoryStore } = await gatehouse('stores/memory/index.js');
  store = createMemoryStore();
} else if (kind === 'sqlite') {
  const { createSqliteStore } = await gatehouse('stores/sqlite/index.js');
  directory = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  store = createSqliteStore({ filename: join(directory, 'gatehouse.db') });
} else if (kind === 'pg-redis') {
  production = await openPgRedis();
  if (production.unavailable) {
    skip(production.unavailable);
    await new Promise(() => undefined); // exits once the parent has the message
  }
  store = production.store;
} else {
  throw new Error(`unknown store "${kind}" (memory, sqlite or pg-redis)`);
}

/**
 * The load comes from one address and one client, far over the default rate limits (which would
 * answer 429): they are raised out of reach, so their bookkeeping is still paid on every request.
 * Builds from before the rate limits have no `protection` option.
 */
const UNREACHABLE = { points: 1_000_000_000, seconds: 60 };
function createGatehouse(issuer) {
  const options = {
    issuer,
    store,
    secret: GATEHOUSE_SECRET,
    logger: false,
    ...(production?.serverOptions.invalidation ? { invalidation: production.serverOptions.invalidation } : {}),
  };
  try {
    return createAuthorizationServer({
      ...options,
      protection: {
        ...production?.serverOptions.protection,
        rateLimits: {
          tokenPerClient: UNREACHABLE,
          requestsPerIp: UNREACHABLE,
          signInPerIp: UNREACHABLE,
          signInPerAccountIp: { ...UNREACHABLE, lockoutSeconds: 1 },
          mfaPerIp: UNREACHABLE,
        },
      },
    });
  } catch (error) {
    if (error?.code !== 'ERR_INVALID_OPTION' || !String(error.message).includes('protection')) throw error;
    return createAuthorizationServer(options);
  }
}

// The issuer names the port: listen first, hand requests over once the server exists. The env
// (@hono/node-server's `{ incoming }`) carries the client address, as with `serve({ fetch:
// server.fetch })`: per-address rate limits and the operator allow-list of /metrics need it.
let server;
const http = serve({ fetch: (request, env) => server.fetch(request, env), port: 0, hostname: '127.0.0.1' });
// From here on, whichever way the process ends, what it made is removed.
const stop = onStop(async () => {
  await server?.close();
  await new Promise((resolve) => {
    http.closeAllConnections?.();
    http.close(resolve);
  });
  await store.close?.();
  if (directory) rmSync(directory, { recursive: true, force: true });
  await production?.cleanup();
});
try {
  await new Promise((resolve) => http.once('listening', resolve));
  const port = portOf(http);
  const issuer = `http://127.0.0.1:${port}`;
  server = createGatehouse(issuer);
  await server.ready();

  const now = Date.now();
  const { client, clientSecret } = await registerClient(
    store,
    new SecretKeys(GATEHOUSE_SECRET),
    {
      name: 'Bench client',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      scope: CLIENT_SCOPE,
      resources: [API],
    },
    now,
  );
  await createUser(store, { username: USER.username, password: USER.password, email: USER.email, emailVerified: true, name: USER.name }, now);

  if (production) onProbe(() => production.probe());
  announce(port, { issuer, clientId: client.clientId, clientSecret, ...production?.info });
} catch (error) {
  process.stderr.write(`set-up failed: ${error?.stack ?? error}\n`);
  stop(1);
}
