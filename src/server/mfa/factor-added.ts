import type { MfaFactorType, UserRecord } from '../../stores/contract.js';
import { sendAccountEmail } from '../accounts/emails.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { messageLanguage } from '../http/page-language.js';
import { englishMessages, type MessageKey } from '../../ui/i18n/index.js';

/** What was added, in words (the email's); the older `notify()` gets English. */
const DETAIL: Record<MfaFactorType, MessageKey> = {
  totp: 'email.factorAdded.totp',
  webauthn: 'email.factorAdded.webauthn',
  sms: 'email.factorAdded.sms',
  email: 'email.factorAdded.email',
  recovery_codes: 'email.factorAdded.recoveryCodes',
};

/**
 * A sign-in method was added to the account: an audit event, and an email to the user when an
 * email sender is configured and the account has an address, so that a method added by someone
 * else does not go unnoticed. The email goes out after the answer; a failure is logged, never
 * shown to the user. It is written in the account's language (its `locale`, else the default).
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
    const i18n = messageLanguage(ctx, { account: user.profile, atThisRequest: true });
    const vars = { detail: i18n.text(DETAIL[type]), ...(typeof user.profile.name === 'string' ? { name: user.profile.name } : {}) };
    sendAccountEmail(ctx, { to: user.email, template: 'factor_added', i18n, vars }).catch(warn);
    return;
  }
  // A custom sender without account emails still gets the notice in its older form.
  sender
    .notify?.({
      channel: 'email',
      to: user.email,
      kind: 'factor_added',
      detail: englishMessages().text(DETAIL[type]),
      productName: ctx.config.branding.productName,
      at: new Date(ctx.clock.now()),
    })
    .catch(warn);
}
