/**
 * A software passkey for tests: a P-256 key pair whose public half is stored as a Gatehouse
 * WebAuthn factor (COSE key, as registration stores it), and which signs real WebAuthn assertions
 * (WebAuthn Level 2 §6.1 authenticator data, §5.8.1 client data, §6.3.3 signature) that the server's
 * verifier accepts exactly as one from a platform authenticator.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import type { MfaFactorRecord } from '../../src/stores/contract.js';

function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** RFC 9053 §7.1.1 / RFC 8152 §13.1.1: an EC2 P-256 ES256 public key as a 5-entry CBOR map. */
function coseKey(x: Buffer, y: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01]), // {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256),
    Buffer.from([0x21, 0x58, 0x20]),
    x, //  -2: x (32 bytes),
    Buffer.from([0x22, 0x58, 0x20]),
    y, //  -3: y (32 bytes)}
  ]);
}

export interface SoftwarePasskey {
  /** The credential id, base64url. */
  id: string;
  /** The factor to store for `userId`. */
  factor(userId: string, now: number): MfaFactorRecord;
  /** An assertion for request options `{ challenge, rpId }`, as `navigator.credentials.get` returns it (JSON). */
  assert(options: { challenge: string; rpId?: string }, origin: string, userId: string): Record<string, unknown>;
}

export function createSoftwarePasskey(): SoftwarePasskey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const id = randomBytes(16).toString('base64url');
  let counter = 0;
  return {
    id,
    factor: (userId, now) => ({
      id: randomUUID(),
      userId,
      type: 'webauthn',
      label: 'Software passkey',
      lookup: id,
      data: {
        confirmed: true,
        publicKey: coseKey(Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')).toString('base64url'),
        counter: 0,
        transports: ['internal'],
        deviceType: 'singleDevice',
        backedUp: false,
      },
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
    }),
    assert(options, origin, userId) {
      counter += 1;
      const rpId = options.rpId ?? new URL(origin).hostname;
      const count = Buffer.alloc(4);
      count.writeUInt32BE(counter);
      // Flags: user present (0x01) and user verified (0x04).
      const authenticatorData = Buffer.concat([sha256(rpId), Buffer.from([0x05]), count]);
      const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }));
      const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), privateKey);
      return {
        id,
        rawId: id,
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: {
          authenticatorData: authenticatorData.toString('base64url'),
          clientDataJSON: clientDataJSON.toString('base64url'),
          signature: signature.toString('base64url'),
          userHandle: Buffer.from(userId).toString('base64url'),
        },
      };
    },
  };
}
