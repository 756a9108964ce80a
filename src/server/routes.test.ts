import { describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, pathTo, ROOT_PATHS, routePath, routeTakenBy, ROUTES, urlTo, type RouteName } from './routes.js';

const NAMES = Object.keys(ROUTES) as RouteName[];
const ADMIN_NAMES = NAMES.filter((name) => {
  const pattern: string = ROUTES[name];
  return pattern === ADMIN_PREFIX || pattern.startsWith(`${ADMIN_PREFIX}/`);
});
const config = (issuer: string, path?: string) => ({ issuerUrl: new URL(issuer), ...(path === undefined ? {} : { admin: { path } }) });

describe('the admin routes follow admin.path', () => {
  it('has admin routes to move', () => {
    expect(ADMIN_NAMES.length).toBeGreaterThan(10);
  });

  it('serves every route of the table under /admin below the configured path, and every other route where it was', () => {
    for (const name of NAMES) {
      const pattern = ROUTES[name];
      const moved = ADMIN_NAMES.includes(name) ? `/ops/console${pattern.slice(ADMIN_PREFIX.length)}` : pattern;
      expect(routePath(config('https://id.example.com', '/ops/console'), name), name).toBe(moved);
      expect(routePath(config('https://id.example.com'), name), name).toBe(pattern);
    }
  });

  it('builds links and URLs there, below the issuer, with every parameter filled in', () => {
    const ctx = { config: config('https://example.com/auth', '/ops') };
    expect(pathTo(ctx, 'adminApiClients')).toBe('/auth/ops/api/v1/clients');
    expect(urlTo(ctx, 'adminApiUserConsent', { id: 'a b', consentId: 'c/1' })).toBe('https://example.com/auth/ops/api/v1/users/a%20b/consents/c%2F1');
    expect(urlTo(ctx, 'token')).toBe('https://example.com/auth/token');
    // A caller that does not know the server's setting (the command's --server) gets the default.
    expect(pathTo({ config: config('https://example.com') }, 'adminApiClients')).toBe('/admin/api/v1/clients');
  });
});

describe('routeTakenBy: an admin.path must keep clear of every other route', () => {
  it('refuses the first segment of every route outside the admin ones, and of the root paths', () => {
    const others = [...NAMES.filter((name) => !ADMIN_NAMES.includes(name)).map((name) => ROUTES[name]), ...Object.values(ROOT_PATHS)];
    for (const pattern of others) {
      const first = `/${pattern.split('/')[1]!}`;
      expect(routeTakenBy(first), pattern).toBeDefined();
      expect(routeTakenBy(`${first}/admin`), pattern).toBeDefined();
    }
  });

  it.each(['/admin', '/ops', '/ops/account', '/tokens', '/accounts'])('leaves %s free', (path) => {
    expect(routeTakenBy(path)).toBeUndefined();
  });
});
