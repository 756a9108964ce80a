import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiAudience } from './reference-app/app.js';

/** What the demo creates on first start and reuses afterwards (`.gatehouse/demo.json`, mode 0600). */
export interface DemoState {
  issuer: string;
  appUrl: string;
  apiAudience: string;
  sessionSecret: string;
  user: { username: string; password: string };
  web: { clientId: string; clientSecret: string };
  machine: { clientId: string; clientSecret: string };
}

/** Runs `gatehouse ...args --dev --json` (with `stdin` as its input) and resolves to its parsed output. */
export type GatehouseJson = <T>(args: string[], stdin?: string) => Promise<T>;

interface DemoPlace {
  dataDir: string;
  /** Gatehouse's URL, `http://127.0.0.1:PORT`. */
  issuer: string;
  /** The Notes app's URL, `http://127.0.0.1:APP_PORT`. */
  appUrl: string;
}

const WEB_SCOPE = 'openid profile email offline_access notes:read';

/**
 * The demo user and clients, through the `gatehouse` command as an operator would. As saved when
 * neither URL changed; when the app's URL changed (`--app-port`), the saved clients get its new
 * redirect URIs and API audience (`gatehouse clients update`), so starting on other ports never
 * registers another pair. A client is registered only when there is none yet (first start) or the
 * saved one was removed.
 */
export async function loadDemoState(place: DemoPlace, gatehouse: GatehouseJson): Promise<DemoState> {
  const file = join(place.dataDir, 'demo.json');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoState) : undefined;
  if (saved?.appUrl === place.appUrl && saved.issuer === place.issuer) return saved;

  mkdirSync(place.dataDir, { recursive: true, mode: 0o700 });
  const { appUrl } = place;
  const audience = apiAudience(appUrl);
  // Sets up the installation on first start: the other commands refuse a data directory without one.
  const { applied } = await gatehouse<{ applied: string[] }>(['migrate']);
  const existing = saved ? new Set((await gatehouse<{ client_id: string }[]>(['clients', 'list'])).map((client) => client.client_id)) : new Set<string>();

  let user = saved?.user;
  if (!user) {
    user = { username: 'demo', password: randomBytes(9).toString('base64url') };
    // An installation from before (a first start interrupted, demo.json removed) may have the user already.
    const known = applied.length === 0 && (await gatehouse<{ username: string }[]>(['users', 'list'])).some((other) => other.username === user!.username);
    if (known) await gatehouse(['users', 'set-password', user.username, '--password-stdin'], user.password);
    else
      await gatehouse(
        ['users', 'add', '--username', user.username, '--email', 'demo@example.com', '--email-verified', '--name', 'Demo User', '--password-stdin'],
        user.password,
      );
  }
  const webUris = ['--redirect-uri', `${appUrl}/authorize`, '--post-logout-redirect-uri', `${appUrl}/`, '--resource', audience];
  const web = await reuseOrRegister(gatehouse, saved?.web, existing, saved?.appUrl === appUrl, webUris, [
    '--name',
    'Notes (reference app)',
    '--scope',
    WEB_SCOPE,
  ]);
  const machine = await reuseOrRegister(
    gatehouse,
    saved?.machine,
    existing,
    saved?.appUrl === appUrl,
    ['--resource', audience],
    ['--name', 'Notes nightly job', '--grant', 'client_credentials', '--scope', 'notes:read'],
  );
  const state: DemoState = {
    issuer: place.issuer,
    appUrl,
    apiAudience: audience,
    sessionSecret: saved?.sessionSecret ?? randomBytes(32).toString('base64url'),
    user,
    web,
    machine,
  };
  writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

/** The saved client, its URIs updated unless they are current; or a newly registered one. */
async function reuseOrRegister(
  gatehouse: GatehouseJson,
  saved: { clientId: string; clientSecret: string } | undefined,
  existing: Set<string>,
  urisCurrent: boolean,
  uris: string[],
  registration: string[],
): Promise<{ clientId: string; clientSecret: string }> {
  if (saved && existing.has(saved.clientId)) {
    if (!urisCurrent) await gatehouse(['clients', 'update', saved.clientId, ...uris]);
    return saved;
  }
  const added = await gatehouse<{ client_id: string; client_secret: string }>(['clients', 'add', ...registration, ...uris]);
  return { clientId: added.client_id, clientSecret: added.client_secret };
}
