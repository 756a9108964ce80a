import type { MfaFactorType, UserRecord } from '../../stores/contract.js';
import { sendAccountEmail } from '../accounts/emails.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';

const DETAIL: Record<MfaFactorType, string> = {
  totp: 'an authenticator app',
  webauthn: 'a passkey',
  sms: 'a phone number for sign-in codes',
  email: 'an email address for sign-in codes',
  recovery_codes: 'a new set of recovery codes',
};

/**
 * A sign-in method was added to the account: an audit event, and an email to the user when an
 * email sender is configured and the account has an address, so that a method added by someone
 * else does not go unnoticed. The email goes out after the answer; a failure is logged, never
 * shown to the user.
 */
export async function factorAdded(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'logger'>,
  user: UserRecord,
  type: MfaFactorType,
  details: Record<string, string> = {},
): Promise<void> {
  await ctx.audit.record(
    auditEvent(type === 'recovery_codes' ? 'mfa.recovery_codes_regenerated' : 'mfa.enrolled', {
      sub: user.id,
      ...(type === 'recovery_codes' ? {} : { type }),
      ...details,
    }),
  );
  const sender = ctx.config.mfa.senders.email;
  if (!sender || !user.email) return;
  const warn = (error: unknown) => ctx.logger.warn({ err: error, sub: user.id }, 'the security notice could not be sent');
  if (sender.sendEmail) {
    const vars = { detail: DETAIL[type], ...(typeof user.profile.name === 'string' ? { name: user.profile.name } : {}) };
    sendAccountEmail(ctx, { to: user.email, template: 'factor_added', vars }).catch(warn);
    return;
  }
  // A custom sender without account emails still gets the notice in its older form.
  sender
    .notify?.({
      channel: 'email',
      to: user.email,
      kind: 'factor_added',
      detail: DETAIL[type],
      productName: ctx.config.branding.productName,
      at: new Date(ctx.clock.now()),
    })
    .catch(warn);
}
