import type { AuditEventRecord, ClientRecord, GrantType, UserRecord } from '../../stores/contract.js';
import { TOKEN_EXCHANGE_GRANT } from '../grants/token-exchange.js';
import { renderAdminAuditPage, type AdminAuditFilters } from '../../ui/admin/audit-page.js';
import { renderAdminDashboardPage } from '../../ui/admin/dashboard-page.js';
import { activity, auditSubjectOf, auditVerificationJson, searchAuditEvents, type ActivityKey, type ActivityRange } from '../admin/audit.js';
import { verifyAuditLog } from '../audit/chain.js';
import {
  renderAdminClientNewPage,
  renderAdminClientPage,
  renderAdminClientSecretPage,
  renderAdminClientsPage,
  type AdminClientForm,
  type AdminClientNewView,
} from '../../ui/admin/client-pages.js';
import { renderAdminConfirmPage } from '../../ui/admin/confirm-page.js';
import type { AdminPageBase, AdminSection } from '../../ui/admin/layout.js';
import { renderAdminKeysPage } from '../../ui/admin/key-page.js';
import { renderAdminUserPage, renderAdminUsersPage } from '../../ui/admin/user-pages.js';
import type { MessageKey, Translator } from '../../ui/i18n/messages.js';
import { formatDate, formatDateTime } from '../../ui/time.js';
import { listClients, registerClient, removeClient, rotateClientSecret, updateClient } from '../admin/clients.js';
import { AdminInputError, AdminNotFoundError } from '../admin/input-error.js';
import { listSigningKeys, retentionFor, rotateKeys } from '../admin/keys.js';
import { listUserConsents, listUserSessions, revokeUserConsent } from '../admin/user-sessions.js';
import { resetUserFactors } from '../admin/user-factors.js';
import { findUser, grantAdminRole, listUsers, removeUser, revokeAdminRole, revokeUserSessions, unlockUser, updateUser } from '../admin/users.js';
import { auditEvent, type AuditFields } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { htmlResponse } from '../http/html.js';
import { pageLanguage } from '../http/page-language.js';
import { errorPage, pageBase } from '../http/pages.js';
import { redirect } from '../http/responses.js';
import { pathTo, urlTo, type RouteName } from '../routes.js';
import { csrfToken } from '../session/browser.js';
import { accountSignInState, type AccountSignInState } from '../protection/sign-in-attempts.js';
import { isStoreUnavailable } from '../../stores/unavailable.js';
import { describeSignInMethods } from '../../ui/sign-in-methods.js';
import { ACCOUNT_CSRF_SUBJECT } from '../steps/account.js';
import { builtInLabel, isBuiltInClient } from '../interaction/account-client.js';
import {
  ADMIN_CSRF_SUBJECT,
  consoleForm,
  consolePage,
  requireRecentAdminSignIn,
  signInToConsole,
  type ConsoleFormInput,
  type ConsoleInput,
} from '../steps/admin-console.js';

/**
 * The admin console (issue 18, docs/admin-console.md): server-rendered pages for people with the
 * `admin` role. Every endpoint starts with the access steps of `steps/admin-console.ts`, and does
 * its work with the same functions the admin API and the CLI call (`server/admin/`), recording the
 * same `admin.*` audit events, with the acting admin as `subject` and `via: 'console'`.
 */

/** Rows a list page shows. */
const PAGE_SIZE = 25;

/** Fixed messages shown after an action (`?notice=`; never text from the request), by their catalog key. */
const NOTICES = {
  'uris-saved': 'adminConsole.notice.urisSaved',
  'client-removed': 'adminConsole.notice.clientRemoved',
  unlocked: 'adminConsole.notice.unlocked',
  disabled: 'adminConsole.notice.disabled',
  enabled: 'adminConsole.notice.enabled',
  'sessions-revoked': 'adminConsole.notice.sessionsRevoked',
  'consent-revoked': 'adminConsole.notice.consentRevoked',
  'user-removed': 'adminConsole.notice.userRemoved',
  'factors-reset': 'adminConsole.notice.factorsReset',
  'admin-granted': 'adminConsole.notice.adminGranted',
  'admin-revoked': 'adminConsole.notice.adminRevoked',
  'keys-rotated': 'adminConsole.notice.keysRotated',
} as const satisfies Record<string, MessageKey>;

/** What went wrong with a post, shown above the page: a catalog message and its values. */
interface ConsoleRefusal {
  key: MessageKey;
  values?: Record<string, string | number>;
}

// ---------------------------------------------------------------------------------------------
// Shared: the page frame, the audit record, the link to a page of a list

const SECTIONS: Record<AdminSection, RouteName> = {
  dashboard: 'adminDashboard',
  clients: 'adminClients',
  users: 'adminUsers',
  keys: 'adminKeys',
  audit: 'adminAudit',
};

/**
 * What every console page shows besides its content, in the reader's language: nav, who is
 * signed in, the notice of `?notice=`, the `error` of the last post. A page answering a GET offers
 * the language switcher, back to itself (without its notice); one answering a post does not.
 */
function consoleBase(
  { ctx, request, session, browserId }: ConsoleInput,
  section: AdminSection,
  view: { error?: ConsoleRefusal | undefined } = {},
): AdminPageBase & { nonce: string } {
  const url = new URL(request.url);
  const noticeKey = url.searchParams.get('notice') ?? '';
  url.searchParams.delete('notice');
  const language = pageLanguage(ctx, [], request.method === 'GET' ? `${url.pathname}${url.search}` : undefined);
  const { text } = language.i18n;
  return {
    ...pageBase(ctx),
    ...language,
    nonce: '',
    links: Object.fromEntries(Object.entries(SECTIONS).map(([name, route]) => [name, pathTo(ctx, route as 'adminDashboard')])) as AdminPageBase['links'],
    section,
    adminLogin: session.user.email ?? session.user.username,
    csrfToken: csrfToken(ctx, browserId, ADMIN_CSRF_SUBJECT),
    signOut: { action: pathTo(ctx, 'accountLogout'), csrfToken: csrfToken(ctx, browserId, ACCOUNT_CSRF_SUBJECT) },
    ...(Object.hasOwn(NOTICES, noticeKey) ? { notice: text(NOTICES[noticeKey as keyof typeof NOTICES]) } : {}),
    ...(view.error !== undefined ? { error: text(view.error.key, view.error.values) } : {}),
  };
}

/** A console page: rendered with its nonce, `status` 200 unless given. */
function consoleHtml(ctx: Pick<ServerContext, 'config'>, render: (nonce: string) => string, status = 200): Response {
  return htmlResponse(ctx, render, { status });
}

/** Records a console action as the admin API records the same operation, with the acting admin and `via: 'console'`. */
async function auditAction(ctx: ServerContext, session: ConsoleInput['session'], type: `admin.${string}`, fields: AuditFields = {}): Promise<void> {
  await ctx.audit.record(auditEvent(type, { sub: session.user.id, via: 'console', ...fields }));
}

/** `?page=N` (1 and up; anything else is the first page). */
function pageNumber(request: Request): number {
  const raw = new URL(request.url).searchParams.get('page') ?? '1';
  return /^[1-9][0-9]{0,5}$/.test(raw) ? Number(raw) : 1;
}

/** The link to another page of a list, keeping its other query parameters. */
function pageLink(request: Request, page: number): string {
  const url = new URL(request.url);
  url.searchParams.set('page', String(page));
  url.searchParams.delete('notice');
  return `${url.pathname}${url.search}`;
}

/** One page of a list read one row past the page, so that "Next page" shows only when there is one. */
async function onePage<T>(request: Request, read: (options: { limit: number; offset: number }) => Promise<T[]>) {
  const page = pageNumber(request);
  const rows = await read({ limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE });
  return {
    rows: rows.slice(0, PAGE_SIZE),
    ...(page > 1 ? { previous: pageLink(request, page - 1) } : {}),
    ...(rows.length > PAGE_SIZE ? { next: pageLink(request, page + 1) } : {}),
  };
}

/** An age in words, in `i18n`'s language: "3 days", "5 hours", "12 minutes". */
function ageOf(ms: number, { text }: Translator): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return text('time.minutes', { count: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return text('time.hours', { count: hours });
  return text('time.days', { count: Math.floor(hours / 24) });
}

/** A record named in the path that does not exist: the console's 404 page. */
function notFoundPage(ctx: Pick<ServerContext, 'config'> & { request?: Pick<ServerContext['request'], 'languages'> }): Response {
  return errorPage(ctx, 404, { key: 'adminConsole.error.notFound.title' }, { key: 'adminConsole.error.notFound.message' });
}

/** An {@link AdminNotFoundError} thrown by a service function is the 404 page; anything else goes on. */
function answerNotFound(error: unknown, { ctx }: EndpointInput): Response | undefined {
  return error instanceof AdminNotFoundError ? notFoundPage(ctx) : undefined;
}

/**
 * A step of a dangerous action: the form says `confirm=yes` (posted by the confirmation page);
 * otherwise that page, saying what will happen (`describe`, in the page's language), with Cancel
 * back to `cancel`.
 */
function requireConfirmation<In extends ConsoleFormInput>(
  section: AdminSection,
  describe: (input: In, i18n: Translator) => { heading: string; consequences: string[]; confirmLabel: string; cancel: string; fields?: Record<string, string> },
) {
  return function requireConfirmation(input: In): Response | undefined {
    if (input.form.get('confirm') === 'yes') return undefined;
    const base = consoleBase(input, section);
    const page = describe(input, base.i18n);
    return consoleHtml(input.ctx, (nonce) => renderAdminConfirmPage({ ...base, nonce, ...page, action: new URL(input.request.url).pathname }));
  };
}

// ---------------------------------------------------------------------------------------------
// Signing in again

/** POST /admin/reauth — sign in again (password and second factor) for a dangerous action. */
export const adminReauth = endpoint(consoleForm('admin.reauth').respond(({ ctx, request }) => signInToConsole(ctx, request, true)));

// ---------------------------------------------------------------------------------------------
// Clients

const clientPath = (ctx: Pick<ServerContext, 'config'>, clientId: string) => pathTo(ctx, 'adminClient', { id: clientId });

/** GET /admin/clients — the registered clients, a page at a time. */
export const adminClients = endpoint(
  consolePage('admin.clients').respond(async (input) => {
    const { ctx, request } = input;
    const { rows, ...pages } = await onePage(request, (options) => listClients(ctx.store, options));
    const base = consoleBase(input, 'clients');
    return consoleHtml(ctx, (nonce) =>
      renderAdminClientsPage({
        ...base,
        nonce,
        newClient: pathTo(ctx, 'adminClientNew'),
        clients: rows.map((client) => ({
          clientId: client.clientId,
          name: client.clientName,
          confidential: client.tokenEndpointAuthMethod !== 'none',
          grantTypes: client.grantTypes,
          createdAt: formatDate(client.createdAt, base.i18n),
          href: clientPath(ctx, client.clientId),
        })),
        ...pages,
      }),
    );
  }),
);

/** The grant types the register form offers, with their labels' keys. */
const GRANTS: { value: GrantType; label: MessageKey }[] = [
  { value: 'authorization_code', label: 'adminConsole.grant.authorizationCode' },
  { value: 'refresh_token', label: 'adminConsole.grant.refreshToken' },
  { value: 'client_credentials', label: 'adminConsole.grant.clientCredentials' },
  { value: TOKEN_EXCHANGE_GRANT, label: 'adminConsole.grant.tokenExchange' },
  { value: 'urn:ietf:params:oauth:grant-type:device_code', label: 'adminConsole.grant.deviceCode' },
];

/**
 * Which form field an {@link AdminInputError} of `registerClient` is about, and what the form says
 * of it. The form can only get these wrong in the ways said (a name too long; a grant type only a
 * confidential client may use); a redirect URI or scope is named by the error's own words (the
 * API's and the CLI's), given as the details.
 */
const CLIENT_FIELDS: Record<string, { field: NonNullable<AdminClientNewView['invalidField']>; message: MessageKey }> = {
  name: { field: 'name', message: 'adminConsole.clientForm.name' },
  'redirect-uri': { field: 'redirect_uris', message: 'adminConsole.clientForm.redirectUris' },
  scope: { field: 'scope', message: 'adminConsole.clientForm.scope' },
  grant: { field: 'grant_types', message: 'adminConsole.clientForm.grantTypes' },
  'auth-method': { field: 'type', message: 'adminConsole.clientForm.other' },
};

/** What the console says of an {@link AdminInputError} of a client form, in the catalogs' words. */
function clientRefusal(error: AdminInputError): ConsoleRefusal {
  return { key: CLIENT_FIELDS[error.field]?.message ?? 'adminConsole.clientForm.other', values: { detail: error.message } };
}

/** The register form, empty or as posted, with the error of the last attempt. */
function clientNewPage(input: ConsoleInput, form: AdminClientForm, error?: AdminInputError): Response {
  const { ctx } = input;
  const field = error ? CLIENT_FIELDS[error.field]?.field : undefined;
  const base = consoleBase(input, 'clients', { error: error && clientRefusal(error) });
  return consoleHtml(
    ctx,
    (nonce) =>
      renderAdminClientNewPage({
        ...base,
        nonce,
        action: pathTo(ctx, 'adminClientNew'),
        cancel: pathTo(ctx, 'adminClients'),
        form,
        grants: GRANTS.map(({ value, label }) => ({ value, label: base.i18n.text(label) })),
        ...(field ? { invalidField: field } : {}),
      }),
    error ? 400 : 200,
  );
}

/** Lines of a textarea, trimmed, the empty ones dropped. */
const lines = (value: string | undefined): string[] =>
  (value ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

/** The register form as posted. */
function readClientForm({ form }: ConsoleFormInput): { client: AdminClientForm } {
  return {
    client: {
      name: form.get('name') ?? '',
      type: form.get('type') === 'public' ? 'public' : 'confidential',
      grantTypes: GRANTS.filter((grant) => form.get(`grant_${grant.value}`) === 'yes').map((grant) => grant.value),
      redirectUris: form.get('redirect_uris') ?? '',
      scope: form.get('scope') ?? '',
    },
  };
}

/** Registers the client (`registerClient`, as the API and `gatehouse clients add`), then shows its secret once. */
async function registerFromForm(input: ConsoleFormInput & { client: AdminClientForm }): Promise<Response> {
  const { ctx, session, client: form } = input;
  let registered;
  try {
    registered = await registerClient(
      ctx.store,
      ctx.secrets,
      {
        name: form.name,
        authMethod: form.type === 'public' ? 'none' : 'client_secret_basic',
        redirectUris: lines(form.redirectUris),
        ...(form.grantTypes.length > 0 ? { grantTypes: form.grantTypes as GrantType[] } : {}),
        ...(form.scope.trim() ? { scope: form.scope.trim() } : {}),
      },
      ctx.clock.now(),
    );
  } catch (error) {
    if (error instanceof AdminInputError) return clientNewPage(input, form, error);
    throw error;
  }
  const { client, clientSecret } = registered;
  await auditAction(ctx, session, 'admin.client_created', { target_client_id: client.clientId, grant_types: client.grantTypes });
  return secretPage(input, client, clientSecret);
}

/** The client's id and secret, shown once. */
function secretPage(input: ConsoleInput, client: ClientRecord, secret: string | null): Response {
  return consoleHtml(input.ctx, (nonce) =>
    renderAdminClientSecretPage({
      ...consoleBase(input, 'clients'),
      nonce,
      clientId: client.clientId,
      name: client.clientName,
      secret,
      done: clientPath(input.ctx, client.clientId),
    }),
  );
}

/** GET /admin/clients/new — the register form. */
export const adminClientNewPage = endpoint(
  consolePage('admin.clients.new').respond((input) =>
    clientNewPage(input, { name: '', type: 'confidential', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: '', scope: '' }),
  ),
);

/** POST /admin/clients/new — registers a client; bad input is the form again, saying what is wrong (400). */
export const adminClientRegister = endpoint(consoleForm('admin.clients.register').step(readClientForm).respond(registerFromForm));

/** The client of the path; otherwise the 404 page. */
async function findPathClient({ ctx, params }: EndpointInput): Promise<Response | { client: ClientRecord }> {
  const client = await ctx.store.clients.get(params.id ?? '');
  return client ? { client } : notFoundPage(ctx);
}

/** The client's page, with the error of the last post and its draft redirect URIs. */
function clientPage(input: ConsoleInput & { client: ClientRecord }, error?: { refusal: ConsoleRefusal; draft: string }): Response {
  const { ctx, client } = input;
  const id = { id: client.clientId };
  const base = consoleBase(input, 'clients', { error: error?.refusal });
  return consoleHtml(
    ctx,
    (nonce) =>
      renderAdminClientPage({
        ...base,
        nonce,
        client: {
          clientId: client.clientId,
          name: client.clientName,
          confidential: client.tokenEndpointAuthMethod !== 'none',
          grantTypes: client.grantTypes,
          scope: client.scope,
          redirectUris: client.redirectUris,
          createdAt: formatDateTime(client.createdAt, base.i18n),
          updatedAt: formatDateTime(client.updatedAt, base.i18n),
        },
        ...(error ? { redirectUrisDraft: error.draft } : {}),
        actions: {
          redirectUris: pathTo(ctx, 'adminClientRedirectUris', id),
          rotateSecret: pathTo(ctx, 'adminClientSecret', id),
          remove: pathTo(ctx, 'adminClientDelete', id),
        },
        auditEvents: auditLink(ctx, { client: client.clientId }),
        back: pathTo(ctx, 'adminClients'),
      }),
    error ? 400 : 200,
  );
}

/** GET /admin/clients/:id — a client. */
export const adminClient = endpoint(
  consolePage('admin.client')
    .step(findPathClient)
    .respond((input) => clientPage(input)),
);

/** Replaces the redirect URIs (`updateClient`); a bad one is the page again, saying which (400). */
async function saveRedirectUris(input: ConsoleFormInput & { client: ClientRecord }): Promise<Response> {
  const { ctx, session, client, form } = input;
  const draft = form.get('redirect_uris') ?? '';
  try {
    await updateClient(ctx.store, client.clientId, { redirectUris: lines(draft) }, ctx.clock.now());
  } catch (error) {
    if (error instanceof AdminInputError && !(error instanceof AdminNotFoundError)) return clientPage(input, { refusal: clientRefusal(error), draft });
    throw error;
  }
  await auditAction(ctx, session, 'admin.client_updated', { target_client_id: client.clientId, changed: ['redirect_uris'] });
  return redirect(`${urlTo(ctx, 'adminClient', { id: client.clientId })}?notice=uris-saved`);
}

/** POST /admin/clients/:id/redirect-uris — the client's redirect URIs, one a line. */
export const adminClientRedirectUris = endpoint(
  consoleForm('admin.client.redirect_uris').step(findPathClient).recover(answerNotFound).respond(saveRedirectUris),
);

/** POST /admin/clients/:id/secret — a new secret (the old one stops working at once), shown once. Recent sign-in, confirmed. */
export const adminClientSecret = endpoint(
  consoleForm('admin.client.secret')
    .step(requireRecentAdminSignIn({ key: 'adminConsole.reauth.rotateSecret' }))
    .step(findPathClient)
    .step(
      requireConfirmation('clients', ({ ctx, client }: ConsoleFormInput & { client: ClientRecord }, { text }) => ({
        heading: text('adminConsole.confirm.rotateSecret.heading', { client: client.clientName }),
        consequences: [
          text('adminConsole.confirm.rotateSecret.shown'),
          text('adminConsole.confirm.rotateSecret.stops'),
          text('adminConsole.confirm.rotateSecret.tokens'),
        ],
        confirmLabel: text('adminConsole.client.rotateSecret'),
        cancel: clientPath(ctx, client.clientId),
      })),
    )
    .recover(answerNotFound)
    .respond(async (input) => {
      const { ctx, session, client } = input;
      try {
        const rotated = await rotateClientSecret(ctx.store, ctx.secrets, client.clientId, ctx.clock.now());
        await auditAction(ctx, session, 'admin.client_secret_rotated', { target_client_id: client.clientId });
        return secretPage(input, rotated.client, rotated.clientSecret);
      } catch (error) {
        // A public client has no secret (the page offers no button for one; a hand-made post gets this).
        if (error instanceof AdminInputError && !(error instanceof AdminNotFoundError)) {
          return clientPage(input, { refusal: { key: 'adminConsole.client.noSecret' }, draft: client.redirectUris.join('\n') });
        }
        throw error;
      }
    }),
);

/** POST /admin/clients/:id/delete — removes the client. Recent sign-in, confirmed. */
export const adminClientDelete = endpoint(
  consoleForm('admin.client.delete')
    .step(requireRecentAdminSignIn({ key: 'adminConsole.reauth.deleteClient' }))
    .step(findPathClient)
    .step(
      requireConfirmation('clients', ({ ctx, client }: ConsoleFormInput & { client: ClientRecord }, { text }) => ({
        heading: text('adminConsole.confirm.deleteClient.heading', { client: client.clientName }),
        consequences: [text('adminConsole.confirm.deleteClient.signIn'), text('adminConsole.confirm.deleteClient.gone')],
        confirmLabel: text('adminConsole.client.remove'),
        cancel: clientPath(ctx, client.clientId),
      })),
    )
    .recover(answerNotFound)
    .respond(async ({ ctx, session, client }) => {
      await removeClient(ctx.store, client.clientId);
      await auditAction(ctx, session, 'admin.client_removed', { target_client_id: client.clientId });
      return redirect(`${urlTo(ctx, 'adminClients')}?notice=client-removed`);
    }),
);

// ---------------------------------------------------------------------------------------------
// Users

const userPath = (ctx: Pick<ServerContext, 'config'>, sub: string) => pathTo(ctx, 'adminUser', { id: sub });

/** GET /admin/users — the users a page at a time, or the one `?q=` (username, email or sub) names. */
export const adminUsers = endpoint(
  consolePage('admin.users').respond(async (input) => {
    const { ctx, request } = input;
    const query = (new URL(request.url).searchParams.get('q') ?? '').trim().slice(0, 320);
    let found: { rows: UserRecord[]; previous?: string; next?: string };
    if (query) {
      const user = await findUser(ctx.store, query).catch((error: unknown) => {
        if (error instanceof AdminNotFoundError) return undefined;
        throw error;
      });
      found = { rows: user ? [user] : [] };
    } else found = await onePage(request, (options) => listUsers(ctx.store, options));
    const { rows, ...pages } = found;
    const base = consoleBase(input, 'users');
    return consoleHtml(ctx, (nonce) =>
      renderAdminUsersPage({
        ...base,
        nonce,
        search: pathTo(ctx, 'adminUsers'),
        ...(query ? { query } : {}),
        users: rows.map((user) => ({
          username: user.username,
          email: user.email,
          ...(user.profile.name ? { name: user.profile.name } : {}),
          disabled: user.disabled,
          admin: user.roles.includes('admin'),
          createdAt: formatDate(user.createdAt, base.i18n),
          href: userPath(ctx, user.id),
        })),
        ...pages,
      }),
    );
  }),
);

/** The user of the path; otherwise the 404 page. */
async function findPathUser({ ctx, params }: EndpointInput): Promise<Response | { user: UserRecord }> {
  const user = await ctx.store.users.get(params.id ?? '');
  return user ? { user } : notFoundPage(ctx);
}

/** The user's sign-in throttle (`accountSignInState`); `undefined` while the rate-limit store (Redis) cannot answer: the page shows the rest. */
async function readSignInState(ctx: Pick<ServerContext, 'limits' | 'store'>, userId: string): Promise<AccountSignInState | undefined> {
  try {
    return await accountSignInState(ctx, userId);
  } catch (error) {
    if (isStoreUnavailable(error)) return undefined;
    throw error;
  }
}

/** A user's page: profile, status, factors, sessions and consents, with the error of the last post. */
async function userPage(input: ConsoleInput & { user: UserRecord }, error?: ConsoleRefusal): Promise<Response> {
  const { ctx, user } = input;
  const id = { id: user.id };
  const factors = (await ctx.store.factors.listByUser(user.id)).filter((factor) => factor.type !== 'recovery_codes' && factor.data.confirmed !== false);
  const sessions = await listUserSessions(ctx.store, user.id);
  const consents = await listUserConsents(ctx.store, user.id);
  const signIn = await readSignInState(ctx, user.id);
  const base = consoleBase(input, 'users', { error });
  const { i18n } = base;
  return consoleHtml(
    ctx,
    (nonce) =>
      renderAdminUserPage({
        ...base,
        nonce,
        user: {
          sub: user.id,
          username: user.username,
          email: user.email,
          emailVerified: user.emailVerified,
          ...(user.profile.name ? { name: user.profile.name } : {}),
          disabled: user.disabled,
          roles: user.roles,
          createdAt: formatDateTime(user.createdAt, i18n),
          factors: factors.length,
        },
        signIn: signIn && {
          failures: signIn.failures,
          budget: signIn.budget,
          ...(signIn.throttledForSeconds !== undefined ? { throttledFor: ageOf(signIn.throttledForSeconds * 1000 + 59_999, i18n) } : {}),
        },
        sessions: sessions.items.map((session) => ({
          signedInAt: formatDateTime(Date.parse(session.created_at), i18n),
          methods: describeSignInMethods(session.methods, {}, i18n),
          ...(session.device ? { device: session.device } : {}),
          ...(session.ip ? { address: session.ip } : {}),
        })),
        consents: consents.items.map((consent) => ({
          id: consent.id,
          client: consent.client_name ?? consent.client_id,
          scope: consent.scope,
          grantedAt: formatDate(Date.parse(consent.created_at), i18n),
        })),
        actions: {
          unlock: pathTo(ctx, 'adminUserUnlock', id),
          disabled: pathTo(ctx, 'adminUserDisabled', id),
          revokeSessions: pathTo(ctx, 'adminUserSessionsRevoke', id),
          resetFactors: pathTo(ctx, 'adminUserFactorsReset', id),
          adminRole: pathTo(ctx, 'adminUserAdminRole', id),
          remove: pathTo(ctx, 'adminUserDelete', id),
          revokeConsent: pathTo(ctx, 'adminUserConsentRevoke', id),
        },
        auditEvents: auditLink(ctx, { user: user.id }),
        self: user.id === input.session.user.id,
        back: pathTo(ctx, 'adminUsers'),
      }),
    error ? 400 : 200,
  );
}

/** Back to the user's page, saying `notice`. */
const backToUser = (ctx: Pick<ServerContext, 'config'>, sub: string, notice: keyof typeof NOTICES) =>
  redirect(`${urlTo(ctx, 'adminUser', { id: sub })}?notice=${notice}`);

/** GET /admin/users/:id — a user. */
export const adminUser = endpoint(
  consolePage('admin.user')
    .step(findPathUser)
    .respond((input) => userPage(input)),
);

/** POST /admin/users/:id/unlock — ends the account's sign-in lockouts and throttling (`unlockUser`). */
export const adminUserUnlock = endpoint(
  consoleForm('admin.user.unlock')
    .step(findPathUser)
    .recover(answerNotFound)
    .respond(async ({ ctx, session, user }) => {
      await unlockUser(ctx.store, ctx.clock, user.id, ctx.config.protection.rateLimits);
      await auditAction(ctx, session, 'admin.user_unlocked', { target_sub: user.id });
      return backToUser(ctx, user.id, 'unlocked');
    }),
);

/** An admin cannot lock themselves out from the console (disable or delete their own account): `refusal` says so. */
function refuseOwnAccount(refusal: ConsoleRefusal) {
  return function refuseOwnAccount(input: ConsoleFormInput & { user: UserRecord }): Promise<Response> | undefined {
    return input.user.id === input.session.user.id ? userPage(input, refusal) : undefined;
  };
}

/** POST /admin/users/:id/disabled — `disabled=yes` disables the account (signed out everywhere), `no` enables it (`updateUser`). */
export const adminUserDisabled = endpoint(
  consoleForm('admin.user.disabled')
    .step(findPathUser)
    .step(refuseOwnAccount({ key: 'adminConsole.user.cannotDisableSelf' }))
    .recover(answerNotFound)
    .respond(async ({ ctx, session, user, form }) => {
      const disabled = form.get('disabled') === 'yes';
      await updateUser(ctx.store, ctx.clock, user.id, { disabled });
      await auditAction(ctx, session, 'admin.user_updated', { target_sub: user.id, changed: ['disabled'], disabled });
      return backToUser(ctx, user.id, disabled ? 'disabled' : 'enabled');
    }),
);

/** POST /admin/users/:id/sessions/revoke — signs the user out everywhere and ends their tokens. Recent sign-in, confirmed. */
export const adminUserSessionsRevoke = endpoint(
  consoleForm('admin.user.sessions.revoke')
    .step(requireRecentAdminSignIn({ key: 'adminConsole.reauth.revokeSessions' }))
    .step(findPathUser)
    .step(
      requireConfirmation('users', ({ ctx, user }: ConsoleFormInput & { user: UserRecord }, { text }) => ({
        heading: text('adminConsole.confirm.revokeSessions.heading', { username: user.username }),
        consequences: [
          text('adminConsole.confirm.revokeSessions.sessions'),
          text('adminConsole.confirm.revokeSessions.tokens'),
          text('adminConsole.confirm.revokeSessions.stays'),
        ],
        confirmLabel: text('adminConsole.user.revokeSessions'),
        cancel: userPath(ctx, user.id),
      })),
    )
    .recover(answerNotFound)
    .respond(async ({ ctx, session, user }) => {
      const { revoked } = await revokeUserSessions(ctx.store, ctx.clock, user.id);
      await auditAction(ctx, session, 'admin.user_sessions_revoked', { target_sub: user.id, sessions_ended: revoked.sessions });
      return backToUser(ctx, user.id, 'sessions-revoked');
    }),
);

/** POST /admin/users/:id/factors/reset — removes every second factor of the user (`resetUserFactors`). Recent sign-in, confirmed. */
export const adminUserFactorsReset = endpoint(
  consoleForm('admin.user.factors.reset')
    .step(requireRecentAdminSignIn({ key: 'adminConsole.reauth.resetFactors' }))
    .step(findPathUser)
    .step(
      requireConfirmation('users', ({ ctx, user }: ConsoleFormInput & { user: UserRecord }, { text }) => ({
        heading: text('adminConsole.confirm.resetFactors.heading', { username: user.username }),
        consequences: [
          text('adminConsole.confirm.resetFactors.removed'),
          text('adminConsole.confirm.resetFactors.password'),
          text('adminConsole.confirm.resetFactors.sessions'),
        ],
        confirmLabel: text('adminConsole.user.resetFactors'),
        cancel: userPath(ctx, user.id),
      })),
    )
    .recover(answerNotFound)
    .respond(async ({ ctx, session, user }) => {
      const { removed } = await resetUserFactors(ctx.store, user.id);
      await auditAction(ctx, session, 'admin.user_factors_reset', { target_sub: user.id, removed });
      return backToUser(ctx, user.id, 'factors-reset');
    }),
);

/** Whether the form grants (`admin=yes`) or revokes (anything else) the admin role. */
const grantsAdmin = (form: ConsoleFormInput['form']): boolean => form.get('admin') === 'yes';

/** What granting or revoking the admin role does, and, for one's own role, that the console is lost at once. */
function describeRoleChange({ ctx, session, user, form }: ConsoleFormInput & { user: UserRecord }, { text }: Translator) {
  const cancel = userPath(ctx, user.id);
  if (grantsAdmin(form)) {
    return {
      heading: text('adminConsole.confirm.grantAdmin.heading', { username: user.username }),
      consequences: [text('adminConsole.confirm.grantAdmin.console'), text('adminConsole.confirm.grantAdmin.api')],
      confirmLabel: text('adminConsole.user.grantAdmin'),
      cancel,
      fields: { admin: 'yes' },
    };
  }
  const self = user.id === session.user.id;
  return {
    heading: self ? text('adminConsole.confirm.revokeOwnAdmin.heading') : text('adminConsole.confirm.revokeAdmin.heading', { username: user.username }),
    consequences: [
      ...(self
        ? [text('adminConsole.confirm.revokeOwnAdmin.lost'), text('adminConsole.confirm.revokeOwnAdmin.giveBack')]
        : [text('adminConsole.confirm.revokeAdmin.console')]),
      text('adminConsole.confirm.revokeAdmin.api'),
    ],
    confirmLabel: self ? text('adminConsole.user.revokeOwnAdmin') : text('adminConsole.user.revokeAdmin'),
    cancel,
    fields: { admin: 'no' },
  };
}

/**
 * POST /admin/users/:id/roles/admin — `admin=yes` grants the admin role (`grantAdminRole`),
 * otherwise revokes it (`revokeAdminRole`), as `gatehouse users grant-admin|revoke-admin` and
 * `PUT|DELETE /users/{id}/roles/admin`. Recent sign-in, confirmed; revoking one's own role is
 * allowed, and its confirmation says the console is lost at once.
 */
export const adminUserAdminRole = endpoint(
  consoleForm('admin.user.role')
    .step(requireRecentAdminSignIn({ key: 'adminConsole.reauth.adminRole' }))
    .step(findPathUser)
    .step(requireConfirmation('users', describeRoleChange))
    .recover(answerNotFound)
    .respond(async ({ ctx, session, user, form }) => {
      const grant = grantsAdmin(form);
      const { changed } = await (grant ? grantAdminRole : revokeAdminRole)(ctx.store, ctx.clock, user.id);
      await auditAction(ctx, session, grant ? 'admin.role_granted' : 'admin.role_revoked', { target_sub: user.id, role: 'admin', changed });
      return backToUser(ctx, user.id, grant ? 'admin-granted' : 'admin-revoked');
    }),
);

/** POST /admin/users/:id/delete — removes the user, ending everything they are signed in with. Recent sign-in, confirmed. */
export const adminUserDelete = endpoint(
  consoleForm('admin.user.delete')
    .step(requireRecentAdminSignIn({ key: 'adminConsole.reauth.deleteUser' }))
    .step(findPathUser)
    .step(refuseOwnAccount({ key: 'adminConsole.user.cannotDeleteSelf' }))
    .step(
      requireConfirmation('users', ({ ctx, user }: ConsoleFormInput & { user: UserRecord }, { text }) => ({
        heading: text('adminConsole.confirm.deleteUser.heading', { username: user.username }),
        consequences: [text('adminConsole.confirm.deleteUser.gone'), text('adminConsole.confirm.deleteUser.sessions')],
        confirmLabel: text('adminConsole.user.remove'),
        cancel: userPath(ctx, user.id),
      })),
    )
    .recover(answerNotFound)
    .respond(async ({ ctx, session, user }) => {
      await removeUser(ctx.store, ctx.clock, user.id);
      await auditAction(ctx, session, 'admin.user_removed', { target_sub: user.id, sessions_revoked: true });
      return redirect(`${urlTo(ctx, 'adminUsers')}?notice=user-removed`);
    }),
);

/** POST /admin/users/:id/consents/revoke — `consent`: withdraws one application's access (`revokeUserConsent`). */
export const adminUserConsentRevoke = endpoint(
  consoleForm('admin.user.consent.revoke')
    .step(findPathUser)
    .recover(answerNotFound)
    .respond(async ({ ctx, session, user, form }) => {
      const { consent } = await revokeUserConsent(ctx.store, ctx.clock.now(), user.id, form.get('consent') ?? '');
      await auditAction(ctx, session, 'admin.consent_revoked', { target_sub: user.id, target_client_id: consent.clientId, consent_id: consent.id });
      return backToUser(ctx, user.id, 'consent-revoked');
    }),
);

// ---------------------------------------------------------------------------------------------
// Signing keys

/** How long retired keys stay published, as the server's key ring counts it. */
const keyRetention = (ctx: Pick<ServerContext, 'config'>): number => retentionFor(ctx.config.tokens.accessTokenTtl, ctx.config.tokens.idTokenTtl);

/** GET /admin/keys — the signing keys: kid, algorithm, status, age. */
export const adminKeys = endpoint(
  consolePage('admin.keys').respond(async (input) => {
    const { ctx } = input;
    const now = ctx.clock.now();
    const keys = await listSigningKeys(ctx.store, now, keyRetention(ctx));
    const base = consoleBase(input, 'keys');
    return consoleHtml(ctx, (nonce) =>
      renderAdminKeysPage({
        ...base,
        nonce,
        keys: keys.map((key) => ({
          kid: key.kid,
          alg: key.alg,
          status: key.status,
          published: key.published,
          age: ageOf(now - Date.parse(key.created_at), base.i18n),
        })),
        rotate: pathTo(ctx, 'adminKeysRotate'),
      }),
    );
  }),
);

/** POST /admin/keys/rotate — new signing keys, in use at once here (`rotateKeys`). Recent sign-in, confirmed. */
export const adminKeysRotate = endpoint(
  consoleForm('admin.keys.rotate')
    .step(requireRecentAdminSignIn({ key: 'adminConsole.reauth.rotateKeys' }))
    .step(
      requireConfirmation('keys', ({ ctx }, { text }) => ({
        heading: text('adminConsole.confirm.rotateKeys.heading'),
        consequences: [
          text('adminConsole.confirm.rotateKeys.sign'),
          text('adminConsole.confirm.rotateKeys.published'),
          text('adminConsole.confirm.rotateKeys.others'),
        ],
        confirmLabel: text('adminConsole.keys.rotate'),
        cancel: pathTo(ctx, 'adminKeys'),
      })),
    )
    .respond(async ({ ctx, session }) => {
      const now = ctx.clock.now();
      const fresh = await rotateKeys(ctx.store, ctx.secrets, now, keyRetention(ctx));
      await ctx.keys.refresh(now);
      await auditAction(ctx, session, 'admin.keys_rotated', { kids: fresh.map((key) => key.kid) });
      return redirect(`${urlTo(ctx, 'adminKeys')}?notice=keys-rotated`);
    }),
);

// ---------------------------------------------------------------------------------------------
// Dashboard

/** Counts shown on the dashboard stop here ("10000+"): the stores have no count, and a list this long is enough to say "many". */
const COUNT_CAP = 10_000;

/** The dashboard's ranges, with the keys of their link's label and of what their charts cover. */
const RANGES: { range: ActivityRange; label: MessageKey; period: MessageKey }[] = [
  { range: 'hour', label: 'adminConsole.range.hour', period: 'adminConsole.range.hourPeriod' },
  { range: 'day', label: 'adminConsole.range.day', period: 'adminConsole.range.dayPeriod' },
  { range: 'week', label: 'adminConsole.range.week', period: 'adminConsole.range.weekPeriod' },
];

/** The dashboard's series by their key: their names' keys (the audit module's labels are English). */
const SERIES_LABELS: Record<ActivityKey, MessageKey> = {
  signIns: 'adminConsole.series.signIns',
  failures: 'adminConsole.series.failures',
  mfaChallenges: 'adminConsole.series.mfaChallenges',
  tokensIssued: 'adminConsole.series.tokensIssued',
  rateLimitHits: 'adminConsole.series.rateLimitHits',
};

/** A bucket's start as its chart labels it, in `locale`: the time of day (UTC, 24-hour), or the day for a week. */
function bucketLabel(ms: number, range: ActivityRange, locale: string): string {
  const options: Intl.DateTimeFormatOptions = range === 'week' ? { day: 'numeric', month: 'short' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(ms);
}

/** GET /admin — counts of users and clients, and the activity charts over `?range=` (hour, day, week; default day). */
export const adminDashboard = endpoint(
  consolePage('admin.dashboard').respond(async (input) => {
    const { ctx, request } = input;
    const asked = new URL(request.url).searchParams.get('range');
    const range = RANGES.find((candidate) => candidate.range === asked) ?? RANGES[1]!;
    const [users, clients, shown] = await Promise.all([
      listUsers(ctx.store, { limit: COUNT_CAP + 1 }),
      listClients(ctx.store, { limit: COUNT_CAP + 1 }),
      activity(ctx.store, ctx.clock.now(), range.range),
    ]);
    const base = consoleBase(input, 'dashboard');
    const { text, locale } = base.i18n;
    const buckets = shown.series[0]?.counts.map((_, index) => bucketLabel(shown.from + index * shown.bucketMs, range.range, locale)) ?? [];
    return consoleHtml(ctx, (nonce) =>
      renderAdminDashboardPage({
        ...base,
        nonce,
        totals: { users: users.length, clients: clients.length, cap: COUNT_CAP },
        ranges: RANGES.map((candidate) => ({
          label: text(candidate.label),
          href: `${pathTo(ctx, 'adminDashboard')}?range=${candidate.range}`,
          current: candidate === range,
        })),
        period: text(range.period),
        buckets,
        series: shown.series.map((series) => ({ ...series, label: text(SERIES_LABELS[series.key]) })),
      }),
    );
  }),
);

// ---------------------------------------------------------------------------------------------
// Audit log

const AUDIT_PAGE_SIZE = 50;

/** The audit page's time ranges, with their labels' keys. */
const SINCE: { value: string; label: MessageKey; ms: number | undefined }[] = [
  { value: '', label: 'adminConsole.since.any', ms: undefined },
  { value: 'hour', label: 'adminConsole.range.hour', ms: 3_600_000 },
  { value: 'day', label: 'adminConsole.range.day', ms: 86_400_000 },
  { value: 'week', label: 'adminConsole.range.week', ms: 7 * 86_400_000 },
  { value: 'month', label: 'adminConsole.since.month', ms: 30 * 86_400_000 },
];

/** The audit page's filters from the query, each bounded (never more than the form lets through), and its cursor. */
function readAuditFilters(url: URL): AdminAuditFilters & { before: number | undefined; after: number | undefined } {
  const get = (name: string) => (url.searchParams.get(name) ?? '').trim().slice(0, 320);
  const cursor = (name: string) => (/^[0-9]{1,15}$/.test(get(name)) ? Number(get(name)) : undefined);
  const since = SINCE.some((option) => option.value === get('since')) ? get('since') : '';
  const outcome = get('outcome') === 'success' || get('outcome') === 'failure' ? get('outcome') : '';
  const before = cursor('before');
  return {
    since,
    type: get('type'),
    user: get('user'),
    client: get('client'),
    ip: get('ip'),
    outcome,
    before,
    after: before === undefined ? cursor('after') : undefined,
  };
}

/**
 * The audit page's link for `filters` (the empty ones left out) at the page `cursor` names: also
 * the "Audit events" links of the user and client pages.
 */
function auditLink(ctx: Pick<ServerContext, 'config'>, filters: Partial<AdminAuditFilters>, cursor?: { before: number } | { after: number }): string {
  const params = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== ''));
  if (cursor) for (const [name, value] of Object.entries(cursor)) params.set(name, String(value));
  const query = params.toString();
  return `${pathTo(ctx, 'adminAudit')}${query ? `?${query}` : ''}`;
}

/**
 * Who the events of a page are about, each user and client read once (a page names few): their
 * username and page, their name and page (a built-in pseudo-client by its label, "Admin console").
 * A sub no user has now (removed, or a client's) is left out.
 */
async function auditNames(ctx: Pick<ServerContext, 'config' | 'store'>, events: AuditEventRecord[], i18n: Translator) {
  const read = async <T>(ids: (string | null)[], get: (id: string) => Promise<T | undefined>): Promise<Map<string, T>> => {
    const found = new Map<string, T>();
    const unique = [...new Set(ids.filter((id): id is string => id !== null))];
    await Promise.all(
      unique.map(async (id) => {
        const record = await get(id);
        if (record !== undefined) found.set(id, record);
      }),
    );
    return found;
  };
  const [users, clients] = await Promise.all([
    read(
      events.map((event) => event.subject),
      (sub) => ctx.store.users.get(sub),
    ),
    read(
      events.map((event) => event.clientId).filter((clientId) => clientId === null || !isBuiltInClient(clientId)),
      (clientId) => ctx.store.clients.get(clientId),
    ),
  ]);
  return {
    user: (sub: string | null) => {
      const user = sub === null ? undefined : users.get(sub);
      return user ? { user: { username: user.username, href: userPath(ctx, user.id) } } : {};
    },
    client: (clientId: string | null) => {
      const builtIn = clientId === null ? undefined : builtInLabel(clientId, i18n);
      if (builtIn !== undefined) return { client: { name: builtIn } };
      const client = clientId === null ? undefined : clients.get(clientId);
      return client ? { client: { name: client.clientName, href: clientPath(ctx, client.clientId) } } : {};
    },
  };
}

/** An event's details as `key=value` pairs (values as JSON when not strings). */
function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

/** The audit page for the request's filters, with `verification` when the chain was just checked. */
async function auditPage(input: ConsoleInput, verification?: { ok: boolean; message: ConsoleRefusal }): Promise<Response> {
  const { ctx, request } = input;
  const url = new URL(request.url);
  const { before, after, ...filters } = readAuditFilters(url);
  const sinceMs = SINCE.find((option) => option.value === filters.since)?.ms;
  const { events, nextBefore, newerAfter } = await searchAuditEvents(ctx.store, {
    ...(sinceMs !== undefined ? { from: ctx.clock.now() - sinceMs } : {}),
    ...(filters.type ? { types: [filters.type] } : {}),
    ...(filters.user ? { subject: await auditSubjectOf(ctx.store, filters.user) } : {}),
    ...(filters.client ? { clientId: filters.client } : {}),
    ...(filters.ip ? { ip: filters.ip } : {}),
    ...(filters.outcome ? { outcome: filters.outcome as 'success' | 'failure' } : {}),
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    limit: AUDIT_PAGE_SIZE,
  });
  const base = consoleBase(input, 'audit');
  const { i18n } = base;
  const names = await auditNames(ctx, events, i18n);
  return consoleHtml(ctx, (nonce) =>
    renderAdminAuditPage({
      ...base,
      nonce,
      filters,
      sinceOptions: SINCE.map(({ value, label }) => ({ value, label: i18n.text(label) })),
      search: pathTo(ctx, 'adminAudit'),
      verify: pathTo(ctx, 'adminAuditVerify'),
      events: events.map((event) => ({
        seq: event.seq,
        time: formatDateTime(event.time, i18n),
        type: event.type,
        outcome: event.outcome,
        subject: event.subject,
        ...names.user(event.subject),
        clientId: event.clientId,
        ...names.client(event.clientId),
        ip: event.ip,
        details: detailsText(event.details),
      })),
      ...(newerAfter !== undefined ? { newer: auditLink(ctx, filters, { after: newerAfter }) } : {}),
      ...(nextBefore !== undefined ? { older: auditLink(ctx, filters, { before: nextBefore }) } : {}),
      ...(verification ? { verification: { ok: verification.ok, message: i18n.text(verification.message.key, verification.message.values) } } : {}),
    }),
  );
}

/** GET /admin/audit — the audit events matching the filters, newest first, a page at a time (`searchAuditEvents`). */
export const adminAudit = endpoint(consolePage('admin.audit').respond((input) => auditPage(input)));

/** GET /admin/audit/verify — recomputes the hash chain (as `gatehouse audit verify`) and shows the result above the log. */
export const adminAuditVerify = endpoint(
  consolePage('admin.audit.verify').respond(async (input) => {
    const { ctx, session } = input;
    const result = auditVerificationJson(await verifyAuditLog(ctx.store.audit, ctx.secrets));
    await auditAction(ctx, session, 'admin.audit_verified', { ok: result.ok, count: result.count });
    return auditPage(
      input,
      result.ok
        ? { ok: true, message: { key: 'adminConsole.audit.intact', values: { count: result.count, last: String(result.last_seq) } } }
        : { ok: false, message: { key: 'adminConsole.audit.broken', values: { seq: String(result.seq), detail: result.message } } },
    );
  }),
);
