import type { Algorithm, Options } from '@node-rs/argon2';
import { importOptional } from './optional-dependency.js';
import { inChildSpan } from './tracing.js';

const { hash, verify } = await importOptional('@node-rs/argon2', () => import('@node-rs/argon2'), 'gatehouse/server (password hashing)');

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first configuration
 * (19 MiB memory, 2 iterations, 1 lane). Runs on libuv's thread pool, off the event loop.
 */
// Algorithm.Argon2id: a const enum, which isolated modules cannot import as a value.
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
const ARGON2ID = 2 as Algorithm.Argon2id;
const PARAMS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** Hashes a password into a PHC string (`$argon2id$v=19$...`). Traced as `password.hash`. */
export function hashPassword(password: string): Promise<string> {
  return inChildSpan('password.hash', () => hash(password.normalize('NFKC'), PARAMS));
}

/** Verifies a password against a PHC string; false on mismatch or on a malformed hash. Traced as `password.verify`. */
export function verifyPassword(phc: string, password: string): Promise<boolean> {
  return inChildSpan('password.verify', async () => {
    try {
      return await verify(phc, password.normalize('NFKC'));
    } catch {
      return false;
    }
  });
}

/**
 * A hash of a random password, verified against when the user does not exist, so a failed sign-in
 * takes about as long whether or not the account exists.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hash(crypto.randomUUID(), PARAMS);
  return decoy;
}
