import { randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn from the CSPRNG in blocks, so that each token costs a slice rather than a call
 * into OpenSSL (5 µs against 0.2 µs per 16-byte token; Node's `randomUUID` pools the same way).
 * Every byte is handed out once; a request for more than the pool holds is served directly.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/**
 * An unguessable token with `bytes` of entropy (default 32 bytes = 256 bits),
 * base64url-encoded (RFC 4648 §5, no padding). Used for client secrets, ids of single-use
 * artifacts and jti values.
 */
export function randomToken(bytes = 32): string {
  if (bytes > POOL_SIZE) return randomFillSync(Buffer.alloc(bytes)).toString('base64url');
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const token = pool.toString('base64url', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return token;
}
