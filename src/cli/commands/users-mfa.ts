import { systemClock } from '../../core/clock.js';
import { resetUserFactors } from '../../server/admin/user-factors.js';
import { findUser } from '../../server/admin/users.js';
import { remainingRecoveryCodes, startTotpEnrolment, type FactorContext } from '../../server/mfa/factors.js';
import { otpauthUri } from '../../server/mfa/totp.js';
import { printRecord, printTable, UsageError, type CliIo } from '../io.js';
import type { Runtime } from '../runtime.js';

/** `gatehouse users mfa ...`: support tasks on a user's second factors. */
export async function usersMfaCommand(args: string[], runtime: Runtime, json: boolean, productName: string, io: CliIo): Promise<number> {
  const [action, login] = args;
  if (action === undefined || login === undefined) throw new UsageError('usage: gatehouse users mfa list|reset|add-totp USER');
  const ctx: FactorContext = { store: runtime.store, clock: systemClock, secrets: runtime.secretKeys };
  const user = await findUser(runtime.store, login);
  switch (action) {
    case 'list': {
      const factors = await runtime.store.factors.listByUser(user.id);
      const rows = factors
        .filter((factor) => factor.type !== 'recovery_codes')
        .map((factor) => ({
          id: factor.id,
          type: factor.type,
          label: factor.label,
          confirmed: factor.data.confirmed === true,
          created_at: new Date(factor.createdAt).toISOString(),
          last_used_at: factor.lastUsedAt ? new Date(factor.lastUsedAt).toISOString() : null,
        }));
      if (json) io.stdout.write(`${JSON.stringify({ factors: rows, recovery_codes_left: await remainingRecoveryCodes(ctx, user.id) }, null, 2)}\n`);
      else printTable(io, false, rows, ['id', 'type', 'label', 'confirmed', 'created_at', 'last_used_at']);
      return 0;
    }
    case 'reset': {
      const { removed } = await resetUserFactors(runtime.store, user.id);
      await runtime.audit('mfa.reset', { sub: user.id, removed });
      io.stderr.write(`removed ${removed} factor(s) of ${user.username}; they sign in with their password only until they set up a new one\n`);
      return 0;
    }
    case 'add-totp': {
      const { factor, secret } = await startTotpEnrolment(ctx, user.id);
      // Confirmed at once (no one is there to type a first code), without using up any code: the
      // first code generated from the printed secret must still work.
      await runtime.store.factors.update({ ...factor, data: { ...factor.data, confirmed: true }, updatedAt: Date.now() });
      await runtime.audit('mfa.enrolled', { sub: user.id, type: 'totp', by: 'cli' });
      printRecord(io, json, { secret, otpauth_uri: otpauthUri(productName, user.email ?? user.username, secret) });
      return 0;
    }
    default:
      throw new UsageError(`unknown users mfa command "${action}"`);
  }
}
