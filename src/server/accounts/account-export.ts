import type { ServerContext } from '../context.js';
import { builtInLabel } from '../interaction/account-client.js';
import { SESSION, SIGN_IN_EVENT, userOwner, type SignInContext } from '../session/sessions.js';
import type { UserRecord } from '../../stores/contract.js';

/** How many recent sign-ins the export lists (as many as the account page keeps). */
const SIGN_INS = 100;

const iso = (ms: number | null | undefined): string | null => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

/** A stored session or sign-in record, as far as the export reads it. */
type SignInRecord = SignInContext & { amr?: string[]; authTime?: number; at?: number; clientId?: string | null };

/**
 * Everything the account holds about its user, for "Download your data" (GDPR Art. 15 and 20):
 * the profile, the sign-in methods, sessions, connected applications, linked upstream accounts and
 * recent sign-ins. Never a secret: no password hash, no factor data (TOTP secrets, passkey keys,
 * recovery-code hashes, phone numbers' envelopes), no session ids or keys, no tokens.
 */
export async function accountExport(ctx: Pick<ServerContext, 'clock' | 'store' | 'clientDocuments'>, user: UserRecord): Promise<Record<string, unknown>> {
  const { store } = ctx;
  const factors = (await store.factors.listByUser(user.id)).filter((factor) => factor.data.confirmed !== false);
  const sessions = await store.artifacts.listByOwner<SignInRecord>(SESSION, userOwner(user.id));
  const consents = (await store.consents.listBySubject(user.id)).filter((consent) => consent.revokedAt === null);
  const signIns = await store.artifacts.listByOwner<SignInRecord>(SIGN_IN_EVENT, userOwner(user.id), SIGN_INS);
  const clientName = async (clientId: string | null | undefined): Promise<string | null> => {
    if (!clientId) return null;
    return builtInLabel(clientId) ?? (await store.clients.get(clientId))?.clientName ?? ctx.clientDocuments?.label(clientId) ?? 'Removed application';
  };
  return {
    exported_at: iso(ctx.clock.now()),
    profile: {
      sub: user.id,
      username: user.username,
      email: user.email,
      email_verified: user.emailVerified,
      has_password: user.passwordHash !== null,
      claims: user.profile,
      created_at: iso(user.createdAt),
      updated_at: iso(user.updatedAt),
    },
    sign_in_methods: factors.map((factor) => ({
      type: factor.type,
      label: factor.label,
      created_at: iso(factor.createdAt),
      last_used_at: iso(factor.lastUsedAt),
    })),
    sessions: sessions.map((session) => ({
      device: session.value.device ?? null,
      address: session.value.ip ?? null,
      methods: session.value.amr ?? [],
      signed_in_at: iso(typeof session.value.authTime === 'number' ? session.value.authTime * 1000 : null),
      expires_at: iso(session.expiresAt),
    })),
    connected_applications: await Promise.all(
      consents.map(async (consent) => ({ client: await clientName(consent.clientId), scope: consent.scope, granted_at: iso(consent.createdAt) })),
    ),
    linked_accounts: (await store.users.listIdentities(user.id)).map((identity) => ({
      provider: identity.provider,
      email: identity.email,
      linked_at: iso(identity.createdAt),
    })),
    recent_sign_ins: await Promise.all(
      signIns.map(async (event) => ({
        at: iso(event.value.at),
        methods: event.value.amr ?? [],
        application: await clientName(event.value.clientId),
        device: event.value.device ?? null,
        address: event.value.ip ?? null,
      })),
    ),
  };
}
