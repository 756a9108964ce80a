import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { randomToken } from '../../core/encoding.js';
import { StoreConflictError, type MfaFactorRecord, type UserRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { addFactor, factorText } from './factors.js';

let webauthn: Promise<typeof import('@simplewebauthn/server')> | undefined;

/**
 * `@simplewebauthn/server`, loaded at the first passkey ceremony: with its ASN.1 and COSE
 * dependencies it adds about 20 MiB to a process, which a server whose users never use a passkey
 * need not hold.
 */
function loadWebAuthn(): Promise<typeof import('@simplewebauthn/server')> {
  return (webauthn ??= import('@simplewebauthn/server'));
}

/** Artifact kind of outstanding WebAuthn challenges (single use, 5 minutes). */
const CHALLENGE = 'webauthn_challenge';
const CHALLENGE_TTL_MS = 5 * 60_000;

/** The relying party: the issuer's host is the RP ID, its origin the expected origin (WebAuthn §5.1.3, §7.1). */
function relyingParty(ctx: Pick<ServerContext, 'config'>): { rpID: string; origin: string; rpName: string } {
  return { rpID: ctx.config.issuerUrl.hostname, origin: ctx.config.issuerUrl.origin, rpName: ctx.config.branding.productName };
}

async function rememberChallenge(ctx: Pick<ServerContext, 'clock' | 'store'>, challenge: string, userId: string | null): Promise<string> {
  const id = randomToken(24);
  await ctx.store.artifacts.put({ kind: CHALLENGE, id, value: { challenge, userId }, ownerId: null, expiresAt: ctx.clock.now() + CHALLENGE_TTL_MS });
  return id;
}

/** Uses up a challenge: each can answer one ceremony only. */
async function takeChallenge(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>,
  id: string,
): Promise<{ challenge: string; userId: string | null } | undefined> {
  const record = await ctx.store.artifacts.consume<{ challenge: string; userId: string | null }>(CHALLENGE, id, ctx.clock.now());
  return record?.value;
}

/** Options for registering a new passkey for a signed-in user; the user's existing ones are excluded. */
export async function passkeyRegistrationOptions(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>,
  user: UserRecord,
): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; challengeId: string }> {
  const { rpID, rpName } = relyingParty(ctx);
  const existing = (await ctx.store.factors.listByUser(user.id)).filter((factor) => factor.type === 'webauthn');
  const options = await (
    await loadWebAuthn()
  ).generateRegistrationOptions({
    rpName,
    rpID,
    userName: user.email ?? user.username,
    userDisplayName: user.profile.name ?? user.username,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    excludeCredentials: existing.map((factor) => ({ id: factor.lookup!, transports: (factor.data.transports ?? []) as string[] })),
    // Discoverable credentials, so the passkey can also sign in without a username.
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  return { options, challengeId: await rememberChallenge(ctx, options.challenge, user.id) };
}

/** Verifies a registration response and stores the passkey. `undefined` when it does not verify. */
export async function registerPasskey(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  user: UserRecord,
  challengeId: string,
  response: RegistrationResponseJSON,
  label: string,
): Promise<MfaFactorRecord | undefined> {
  const remembered = await takeChallenge(ctx, challengeId);
  if (remembered?.userId !== user.id) return undefined;
  const { rpID, origin } = relyingParty(ctx);
  // Loaded outside the try: a module that fails to load is an error, not a failed verification.
  const { verifyRegistrationResponse } = await loadWebAuthn();
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: remembered.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: false,
    });
  } catch {
    return undefined;
  }
  if (!verification.verified) return undefined;
  const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
  const data = {
    confirmed: true,
    publicKey: Buffer.from(credential.publicKey).toString('base64url'),
    counter: credential.counter,
    transports: credential.transports ?? [],
    deviceType: credentialDeviceType,
    backedUp: credentialBackedUp,
  };
  try {
    return await addFactor(ctx, user.id, 'webauthn', label, data, credential.id);
  } catch (error) {
    // The credential is registered already (to this account or another): refused like any bad
    // registration, without saying whose it is.
    if (error instanceof StoreConflictError) return undefined;
    throw error;
  }
}

/**
 * Options for signing in with a passkey: as a second factor, restricted to the user's passkeys;
 * or passwordless (no user yet), letting the authenticator offer its discoverable credentials.
 */
export async function passkeyAuthenticationOptions(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>,
  userId: string | null,
): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; challengeId: string }> {
  const { rpID } = relyingParty(ctx);
  const allow = userId === null ? [] : (await ctx.store.factors.listByUser(userId)).filter((factor) => factor.type === 'webauthn');
  const options = await (
    await loadWebAuthn()
  ).generateAuthenticationOptions({
    rpID,
    allowCredentials: allow.map((factor) => ({ id: factor.lookup!, transports: (factor.data.transports ?? []) as string[] })),
    // Passwordless sign-in must verify the user (PIN or biometrics); as a second factor, presence suffices.
    userVerification: userId === null ? 'required' : 'preferred',
  });
  return { options, challengeId: await rememberChallenge(ctx, options.challenge, userId) };
}

/** The outcome of a verified passkey assertion. */
export interface PasskeyAssertion {
  factor: MfaFactorRecord;
  userVerified: boolean;
  /** RFC 8176: `hwk` for a device-bound key, `swk` for a synced (multi-device) passkey. */
  method: 'hwk' | 'swk';
}

/**
 * Verifies an assertion: challenge (single use), origin, RP ID, signature, user verification when
 * asked, and the signature counter, which must grow unless the authenticator keeps none (WebAuthn
 * §6.1.1): a counter that does not grow suggests a cloned authenticator, and the assertion is refused.
 */
export async function verifyPasskey(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>,
  challengeId: string,
  response: AuthenticationResponseJSON,
  expectedUserId: string | null,
): Promise<PasskeyAssertion | undefined> {
  const remembered = await takeChallenge(ctx, challengeId);
  if (remembered?.userId !== expectedUserId) return undefined;
  const factor = await ctx.store.factors.findByLookup('webauthn', response.id);
  if (!factor || (expectedUserId !== null && factor.userId !== expectedUserId)) return undefined;
  const { rpID, origin } = relyingParty(ctx);
  // Loaded outside the try: a module that fails to load is an error, not a failed verification.
  const { verifyAuthenticationResponse } = await loadWebAuthn();
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: remembered.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: {
        id: factor.lookup!,
        publicKey: Buffer.from(factorText(factor, 'publicKey'), 'base64url'),
        counter: Number(factor.data.counter),
        transports: (factor.data.transports ?? []) as string[],
      },
      requireUserVerification: expectedUserId === null,
    });
  } catch {
    return undefined;
  }
  if (!verification.verified) return undefined;
  const now = ctx.clock.now();
  const { newCounter, userVerified, credentialDeviceType } = verification.authenticationInfo;
  const updated = { ...factor, data: { ...factor.data, counter: newCounter }, updatedAt: now, lastUsedAt: now };
  if (!(await ctx.store.factors.update(updated, factor.updatedAt))) return undefined;
  return { factor: updated, userVerified, method: credentialDeviceType === 'multiDevice' ? 'swk' : 'hwk' };
}
