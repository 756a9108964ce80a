import { systemClock } from '../core/clock.js';
import { auditSubjectOf, auditVerificationJson, searchAuditEvents } from '../server/admin/audit.js';
import { describeClient, getClient, listClients, registerClient, removeClient, rotateClientSecret, updateClient } from '../server/admin/clients.js';
import { listSigningKeys, retentionFor, rotateKeys } from '../server/admin/keys.js';
import {
  createUser,
  describeUser,
  findUser,
  grantAdminRole,
  listUsers,
  removeUser,
  revokeAdminRole,
  revokeUserSessions,
  unlockUser,
  type RoleChange,
} from '../server/admin/users.js';
import { auditEventToJson } from '../server/audit/audit-log.js';
import { verifyAuditLog } from '../server/audit/chain.js';
import type { AdminOperations } from './admin-operations.js';
import type { CliConfig } from './config.js';
import type { Runtime } from './runtime.js';

/** Which lists an update replaces, by their wire names (the audit event's `changed`). */
function changedLists(changes: {
  redirectUris?: unknown;
  postLogoutRedirectUris?: unknown;
  resources?: unknown;
  servedResources?: unknown;
  requirePushedAuthorizationRequests?: unknown;
  backchannelLogoutUri?: unknown;
}): string[] {
  return [
    ...(changes.redirectUris === undefined ? [] : ['redirect_uris']),
    ...(changes.postLogoutRedirectUris === undefined ? [] : ['post_logout_redirect_uris']),
    ...(changes.resources === undefined ? [] : ['resources']),
    ...(changes.servedResources === undefined ? [] : ['served_resources']),
    ...(changes.requirePushedAuthorizationRequests === undefined ? [] : ['require_pushed_authorization_requests']),
    ...(changes.backchannelLogoutUri === undefined ? [] : ['backchannel_logout_uri']),
  ];
}

/**
 * The admin operations on the database: the service functions of `src/server/admin/` over the
 * runtime's store, each change recorded in the audit log as the operator's (`gatehouse-cli`).
 */
export function localAdmin(runtime: Runtime, config: CliConfig): AdminOperations {
  const { store, secretKeys } = runtime;
  const retentionMs = retentionFor(config.accessTokenTtl, config.idTokenTtl);
  const role = async (change: Promise<RoleChange>, type: 'admin.role_granted' | 'admin.role_revoked') => {
    const { user, changed } = await change;
    if (changed) await runtime.audit(type, { target_sub: user.id, role: 'admin', by: 'cli' });
    return describeUser(user);
  };
  return {
    listClients: async () => (await listClients(store)).map(describeClient),
    getClient: async (clientId) => describeClient(await getClient(store, clientId)),
    async registerClient(input) {
      const { client, clientSecret } = await registerClient(store, secretKeys, input, Date.now());
      await runtime.audit('client.created', { client_id: client.clientId, grant_types: client.grantTypes });
      return { ...describeClient(client), client_secret: clientSecret };
    },
    async updateClient(clientId, changes) {
      const client = await updateClient(store, clientId, changes, Date.now());
      await runtime.audit('client.updated', { client_id: client.clientId, changed: changedLists(changes) });
      return describeClient(client);
    },
    async removeClient(clientId) {
      await removeClient(store, clientId);
      await runtime.audit('client.removed', { client_id: clientId });
    },
    async rotateClientSecret(clientId) {
      const { client, clientSecret } = await rotateClientSecret(store, secretKeys, clientId, Date.now());
      await runtime.audit('client.secret_rotated', { client_id: client.clientId });
      return { client_id: client.clientId, client_secret: clientSecret };
    },
    listUsers: async () => (await listUsers(store)).map(describeUser),
    getUser: async (login) => describeUser(await findUser(store, login)),
    async createUser(input) {
      const user = await createUser(store, input, Date.now());
      await runtime.audit('user.created', { sub: user.id });
      return describeUser(user);
    },
    async removeUser(login) {
      const user = await removeUser(store, systemClock, login);
      await runtime.audit('user.removed', { sub: user.id, sessions_revoked: true });
    },
    async revokeUserSessions(login) {
      const { user, revoked } = await revokeUserSessions(store, systemClock, login);
      await runtime.audit('user.sessions_revoked', { sub: user.id, sessions_ended: revoked.sessions });
      return { sessions_ended: revoked.sessions };
    },
    async unlockUser(login) {
      const user = await unlockUser(store, systemClock, login, config.rateLimits);
      await runtime.audit('user.unlocked', { sub: user.id });
      return describeUser(user);
    },
    grantAdminRole: (login) => role(grantAdminRole(store, systemClock, login), 'admin.role_granted'),
    revokeAdminRole: (login) => role(revokeAdminRole(store, systemClock, login), 'admin.role_revoked'),
    listKeys: () => listSigningKeys(store, Date.now(), retentionMs),
    async rotateKeys() {
      const fresh = await rotateKeys(store, secretKeys, Date.now(), retentionMs);
      await runtime.audit('keys.rotated', { kids: fresh.map((key) => key.kid) });
      return fresh;
    },
    async auditEvents(search, user) {
      const subject = user === undefined ? {} : { subject: await auditSubjectOf(store, user) };
      return (await searchAuditEvents(store, { ...search, ...subject })).events.map(auditEventToJson);
    },
    verifyAudit: async () => auditVerificationJson(await verifyAuditLog(store.audit, secretKeys)),
    close: () => runtime.close(),
  };
}
