import { systemClock } from '../../core/clock.js';
import { invitationJson, inviteUser, listInvitations, revokeInvitation, type InvitationContext } from '../../server/accounts/invitations.js';
import { resolveOptions } from '../../server/options.js';
import type { CliConfig } from '../config.js';
import { printRecord, printTable, UsageError, type CliIo } from '../io.js';
import type { Runtime } from '../runtime.js';
import { commandServerOptions, derivedIssuer } from '../server-options.js';

/**
 * What the invitation functions need, as the server would have it: the same settings, issuer,
 * senders and email templates as `gatehouse start` with this configuration, so that the emailed
 * link opens on that server and the email reads the same.
 */
function invitationContext(config: CliConfig, runtime: Runtime): InvitationContext {
  const issuer = derivedIssuer(config.host, config.port, config.tlsCert !== undefined);
  const resolved = resolveOptions({ ...commandServerOptions(config, runtime, issuer), migrate: false });
  return { store: resolved.store, clock: systemClock, secrets: runtime.secretKeys, config: resolved, audit: runtime.auditLog };
}

/**
 * `gatehouse users invite --email E [--name N] [--print-link]`: invites an address. The link goes
 * by email (SMTP, the webhook, or in development the outbox); it is printed only with `--print-link`,
 * which is also what makes an invitation possible without an email sender.
 */
export async function inviteCommand(
  values: { email?: string | undefined; name?: string | undefined; 'print-link': boolean; json: boolean },
  config: CliConfig,
  runtime: Runtime,
  io: CliIo,
): Promise<number> {
  if (values.email === undefined) throw new UsageError('--email is required');
  const printLink = values['print-link'];
  const ctx = invitationContext(config, runtime);
  const { invitation, link, emailed } = await inviteUser(
    ctx,
    { email: values.email, ...(values.name ? { name: values.name } : {}) },
    { requireEmail: !printLink },
  );
  if (values.json) {
    printRecord(io, true, { ...invitationJson(invitation), emailed, ...(printLink ? { link } : {}) });
  } else {
    if (printLink) io.stdout.write(`${link}\n`);
    const how = emailed ? 'emailed' : 'not emailed (no email sender): send the link yourself';
    io.stderr.write(`invited ${invitation.email} until ${new Date(invitation.expiresAt).toISOString()}, ${how} (invitation ${invitation.id})\n`);
  }
  return 0;
}

/** `gatehouse users invitations [revoke ID]`: the pending invitations, or end one. */
export async function invitationsCommand(positionals: string[], json: boolean, config: CliConfig, runtime: Runtime, io: CliIo): Promise<number> {
  const [action, id] = positionals;
  if (action === undefined) {
    const rows = (await listInvitations({ store: runtime.store, clock: systemClock })).map(invitationJson);
    printTable(io, json, rows, ['id', 'email', 'name', 'invited_at', 'expires_at']);
    return 0;
  }
  if (action !== 'revoke') throw new UsageError(`unknown invitations command "${action}"`);
  if (id === undefined) throw new UsageError('an invitation ID is required (see "gatehouse users invitations")');
  const invitation = await revokeInvitation(invitationContext(config, runtime), id);
  io.stderr.write(`revoked the invitation of ${invitation.email}: its link no longer works\n`);
  return 0;
}
