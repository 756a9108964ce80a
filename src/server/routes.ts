import type { ServerConfig } from './context.js';

/**
 * What resolving a route needs: the issuer's URL, and where the admin routes are served (the
 * `admin.path` setting). Without `admin`, they are at {@link ADMIN_PREFIX}, the default: a client
 * of a server whose setting it does not know (the command's `--server`).
 */
type Located = { config: Pick<ServerConfig, 'issuerUrl'> & { admin?: Pick<ServerConfig['admin'], 'path'> } };

/**
 * Every path the server answers, relative to the issuer's path (an issuer of
 * `https://example.com/auth` serves `https://example.com/auth/token`). The router mounts these
 * and every link, form action and redirect is built from them with {@link pathTo}: one table,
 * no path spelled twice.
 */
export const ROUTES = {
  // Protocol endpoints (advertised in discovery).
  authorization: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  introspection: '/introspect',
  revocation: '/revoke',
  jwks: '/jwks',
  endSession: '/logout',
  endSessionConfirm: '/logout/confirm',
  // Dynamic client registration (RFC 7591) and its management (RFC 7592), when `registration.policy` is not off.
  registration: '/register',
  registrationClient: '/register/:id',
  deviceAuthorization: '/device/auth',
  // The device flow's user-code page (RFC 8628 §3.3: the verification URI).
  device: '/device',
  // Pushed authorization requests (RFC 9126 §2): advertised as pushed_authorization_request_endpoint.
  pushedAuthorizationRequest: '/par',
  // The sign-in interaction.
  interaction: '/interaction/:id',
  interactionLogin: '/interaction/:id/login',
  interactionConsent: '/interaction/:id/consent',
  interactionSelectAccount: '/interaction/:id/select-account',
  interactionUpstream: '/interaction/:id/upstream/:upstream',
  interactionMfa: '/interaction/:id/mfa',
  interactionMfaEnroll: '/interaction/:id/mfa-enroll',
  interactionContinue: '/interaction/:id/continue',
  interactionPasskeyOptions: '/interaction/:id/passkey/options',
  interactionPasskey: '/interaction/:id/passkey',
  upstreamCallback: '/upstream/:upstream/callback',
  webauthnScript: '/assets/webauthn.js',
  // The account pages.
  account: '/account',
  accountTotp: '/account/totp',
  accountTotpConfirm: '/account/totp/confirm',
  accountDone: '/account/done',
  accountRecoveryCodes: '/account/recovery-codes',
  accountNewRecoveryCodes: '/account/recovery-codes/new',
  accountContacts: '/account/contacts',
  accountContactsConfirm: '/account/contacts/confirm',
  accountFactorRemove: '/account/factors/remove',
  accountReauth: '/account/reauth',
  accountEndOtherSessions: '/account/sessions/others',
  accountRevokeApp: '/account/apps/revoke',
  accountLogout: '/account/logout',
  accountPasskeyOptions: '/account/passkeys/options',
  accountPasskeys: '/account/passkeys',
  accountPassword: '/account/password',
  accountEmail: '/account/email',
  accountEmailConfirm: '/account/email/confirm',
  accountProfile: '/account/profile',
  accountPhone: '/account/phone',
  accountPhoneConfirm: '/account/phone/confirm',
  accountDelete: '/account/delete',
  accountExport: '/account/export',
  // Accounts people manage themselves: sign-up, verification, recovery, invitations.
  signUp: '/signup',
  interactionSignUp: '/interaction/:id/signup',
  interactionVerifyEmail: '/interaction/:id/verify-email',
  interactionVerifyEmailResend: '/interaction/:id/verify-email/resend',
  interactionEmailCode: '/interaction/:id/email-code',
  interactionEmailCodeVerify: '/interaction/:id/email-code/verify',
  verifyEmail: '/verify-email',
  emailSignIn: '/email-sign-in',
  forgotPassword: '/forgot-password',
  // The language switcher of the pages (docs/languages.md): remembers the choice, back to the page.
  language: '/language',
  resetPassword: '/reset-password',
  resetPasswordMfa: '/reset-password/mfa',
  invitation: '/invitation',
  powChallenge: '/pow/challenge',
  powScript: '/assets/pow.js',
  // Below `/admin` (ADMIN_PREFIX): served under the `admin.path` setting instead (routePath), whatever is added here.
  // The admin API (issue 18; docs/admin-api.md), mounted when `admin.api` is on. Its operations: `admin-api/operations.ts`.
  adminApiOpenApi: '/admin/api/v1/openapi.json',
  adminApiClients: '/admin/api/v1/clients',
  adminApiClient: '/admin/api/v1/clients/:id',
  adminApiClientSecret: '/admin/api/v1/clients/:id/secret',
  adminApiUsers: '/admin/api/v1/users',
  adminApiUser: '/admin/api/v1/users/:id',
  adminApiUserUnlock: '/admin/api/v1/users/:id/unlock',
  adminApiUserSessionsRevoke: '/admin/api/v1/users/:id/sessions/revoke',
  adminApiUserSessions: '/admin/api/v1/users/:id/sessions',
  adminApiUserConsents: '/admin/api/v1/users/:id/consents',
  adminApiUserConsent: '/admin/api/v1/users/:id/consents/:consentId',
  adminApiUserAdminRole: '/admin/api/v1/users/:id/roles/admin',
  adminApiKeys: '/admin/api/v1/keys',
  adminApiKeysRotate: '/admin/api/v1/keys/rotate',
  adminApiUserSession: '/admin/api/v1/users/:id/sessions/:sid',
  adminApiUserFactorsReset: '/admin/api/v1/users/:id/factors/reset',
  adminApiInvitations: '/admin/api/v1/invitations',
  adminApiAuditEvents: '/admin/api/v1/audit/events',
  adminApiAuditVerify: '/admin/api/v1/audit/verify',
  adminApiSettings: '/admin/api/v1/settings',
  adminApiRegistrationTokens: '/admin/api/v1/registration/tokens',
  adminApiRegistrationToken: '/admin/api/v1/registration/tokens/:id',
  // The admin console (issue 18; docs/admin-console.md), mounted when `admin.console` is on.
  adminDashboard: '/admin',
  adminReauth: '/admin/reauth',
  adminClients: '/admin/clients',
  adminClientNew: '/admin/clients/new',
  adminClient: '/admin/clients/:id',
  adminClientRedirectUris: '/admin/clients/:id/redirect-uris',
  adminClientSecret: '/admin/clients/:id/secret',
  adminClientDelete: '/admin/clients/:id/delete',
  adminUsers: '/admin/users',
  adminUser: '/admin/users/:id',
  adminUserUnlock: '/admin/users/:id/unlock',
  adminUserDisabled: '/admin/users/:id/disabled',
  adminUserSessionsRevoke: '/admin/users/:id/sessions/revoke',
  adminUserFactorsReset: '/admin/users/:id/factors/reset',
  adminUserAdminRole: '/admin/users/:id/roles/admin',
  adminUserDelete: '/admin/users/:id/delete',
  adminUserConsentRevoke: '/admin/users/:id/consents/revoke',
  adminKeys: '/admin/keys',
  adminKeysRotate: '/admin/keys/rotate',
  adminAudit: '/admin/audit',
  adminAuditVerify: '/admin/audit/verify',
} as const;

export type RouteName = keyof typeof ROUTES;

/**
 * The routes the router serves outside the table, at the host's root whatever the issuer's path:
 * health checks, metrics and the browser's icon (discovery's `/.well-known/...` too, but no
 * `admin.path` can start with a dot).
 */
export const ROOT_PATHS = { healthz: '/healthz', readyz: '/readyz', metrics: '/metrics', favicon: '/favicon.ico' } as const;

/**
 * Where the admin routes (the API's and the console's) sit in {@link ROUTES}. Each is served with
 * this prefix replaced by the `admin.path` setting (`/ops/api/v1/clients` for `admin.path=/ops`).
 */
export const ADMIN_PREFIX = '/admin';

/** A route pattern of the table below {@link ADMIN_PREFIX}. */
function isAdminPattern(pattern: string): boolean {
  return pattern === ADMIN_PREFIX || pattern.startsWith(`${ADMIN_PREFIX}/`);
}

/**
 * The route an `admin.path` would be served over, or `undefined` when it is free. Two paths collide
 * when they share their first segment (`/account/admin` would sit among the account pages, and
 * `/interaction/x` match `/interaction/:id`), so every route outside the admin ones, of the table
 * and {@link ROOT_PATHS}, keeps its own first segment.
 */
export function routeTakenBy(adminPath: string): string | undefined {
  const first = (path: string) => path.split('/')[1];
  const others = [...Object.values(ROUTES).filter((pattern) => !isAdminPattern(pattern)), ...Object.values(ROOT_PATHS)];
  return others.find((pattern) => first(pattern) === first(adminPath));
}

/**
 * A route's pattern as it is served below the issuer's path: the admin routes under `admin.path`
 * (`/admin/api/v1/clients/:id` → `/ops/api/v1/clients/:id`), every other as the table has it.
 * The router mounts these, and {@link pathTo} fills them in.
 */
export function routePath(config: Located['config'], name: RouteName): string {
  const pattern: string = ROUTES[name];
  const adminPath = config.admin?.path ?? ADMIN_PREFIX;
  return isAdminPattern(pattern) ? adminPath + pattern.slice(ADMIN_PREFIX.length) : pattern;
}

/** The `:name` parameters of a route pattern. */
type ParamsOf<Path extends string> = Path extends `${string}:${infer Param}/${infer Rest}`
  ? Param | ParamsOf<`/${Rest}`>
  : Path extends `${string}:${infer Param}`
    ? Param
    : never;
type RouteParams<Name extends RouteName> = [ParamsOf<(typeof ROUTES)[Name]>] extends [never] ? [] : [Record<ParamsOf<(typeof ROUTES)[Name]>, string>];

/** The issuer's path without its trailing slash (`''` for an issuer at the root). */
export function basePath(config: Pick<ServerConfig, 'issuerUrl'>): string {
  return config.issuerUrl.pathname.replace(/\/$/, '');
}

/** The path of a route below the issuer's path, its parameters filled in (and encoded). */
export function pathTo<Name extends RouteName>(ctx: Located, name: Name, ...params: RouteParams<Name>): string {
  const values = (params[0] ?? {}) as Record<string, string>;
  return basePath(ctx.config) + routePath(ctx.config, name).replace(/:([A-Za-z]+)/g, (_, param: string) => encodeURIComponent(values[param] ?? ''));
}

/** The absolute URL of a route (for `Location` and for discovery), from the issuer, never the request's `Host`. */
export function urlTo<Name extends RouteName>(ctx: Located, name: Name, ...params: RouteParams<Name>): string {
  return `${ctx.config.issuerUrl.origin}${pathTo(ctx, name, ...params)}`;
}
