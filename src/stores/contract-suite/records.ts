/** Sample records the contract suite stores and reads back. */
import type { AuditEventRecord, ClientRecord, ConsentRecord, MfaFactorRecord, SigningKeyRecord, UserIdentityRecord, UserRecord } from '../contract.js';
import { T0 } from './fake-clock.js';

/** A confidential client record; override any field. */
export function makeClient(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: 'client-1',
    clientSecretHash: 'hash-of-secret',
    clientName: 'Example App',
    redirectUris: ['https://app.example/callback'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: 'openid profile email',
    tokenEndpointAuthMethod: 'client_secret_basic',
    idTokenSignedResponseAlg: 'ES256',
    resources: [],
    isResourceServer: false,
    servedResources: [],
    extra: {},
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** A user record; override any field. */
export function makeUser(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: 'user-1',
    username: 'alice',
    email: 'alice@example.com',
    emailVerified: true,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    profile: { name: 'Alice' },
    disabled: false,
    roles: [],
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** A link of user-1 to a GitHub account; override any field. */
export function makeIdentity(overrides: Partial<UserIdentityRecord> = {}): UserIdentityRecord {
  return {
    provider: 'github',
    subject: '583231',
    userId: 'user-1',
    email: 'alice@users.github.example',
    encryptedTokens: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** A passkey of user-1, found by its credential id; override any field. */
export function makeFactor(overrides: Partial<MfaFactorRecord> = {}): MfaFactorRecord {
  return {
    id: 'factor-1',
    userId: 'user-1',
    type: 'webauthn',
    label: 'YubiKey',
    lookup: 'credential-1',
    data: { publicKey: 'pQECAyYgASFYIA', signCount: 0, transports: ['usb', 'nfc'] },
    createdAt: T0,
    updatedAt: T0,
    lastUsedAt: null,
    ...overrides,
  };
}

/** An active signing key record; override any field. */
export function makeKey(overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const kid = overrides.kid ?? 'key-1';
  const alg = overrides.alg ?? 'ES256';
  return {
    kid,
    alg,
    status: 'active',
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid, alg, use: 'sig' },
    encryptedPrivateJwk: `envelope-of-${kid}`,
    createdAt: T0,
    retiredAt: null,
    ...overrides,
  };
}

/** A consent record; override any field. */
export function makeConsent(overrides: Partial<ConsentRecord> = {}): ConsentRecord {
  return {
    id: 'consent-1',
    clientId: 'client-1',
    subject: 'user-1',
    scope: 'openid profile',
    extra: {},
    createdAt: T0,
    updatedAt: T0,
    revokedAt: null,
    ...overrides,
  };
}

/** An audit event as handed to `store.audit.append` (no seq or hashes yet); override any field. */
export function makeAuditEvent(
  overrides: Partial<Omit<AuditEventRecord, 'seq' | 'prevHash' | 'hash'>> = {},
): Omit<AuditEventRecord, 'seq' | 'prevHash' | 'hash'> {
  return {
    time: T0,
    type: 'token.issued',
    outcome: 'success',
    requestId: 'req-1',
    clientId: 'client-1',
    subject: 'user-1',
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0',
    details: { grant_type: 'authorization_code', scope: 'openid profile' },
    ...overrides,
  };
}
