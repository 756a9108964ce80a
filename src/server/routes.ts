import type { ServerConfig } from './context.js';

/** What building a path needs: the issuer's URL. */
type Located = { config: Pick<ServerConfig, 'issuerUrl'> };

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
  resetPassword: '/reset-password',
  resetPasswordMfa: '/reset-password/mfa',
  invitation: '/invitation',
  powChallenge: '/pow/challenge',
  powScript: '/assets/pow.js',
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
  return basePath(ctx.config) + ROUTES[name].replace(/:([a-z]+)/g, (_, param: string) => encodeURIComponent(values[param] ?? ''));
}

/** The absolute URL of a route (for `Location` and for discovery), from the issuer, never the request's `Host`. */
export function urlTo<Name extends RouteName>(ctx: Located, name: Name, ...params: RouteParams<Name>): string {
  return `${ctx.config.issuerUrl.origin}${pathTo(ctx, name, ...params)}`;
}
