/**
 * The argon2id limit of this machine: `verify` of a hash made by Gatehouse's own `hashPassword`
 * (so the same parameters: 19 MiB, 2 iterations, 1 lane), as many in flight as libuv has threads.
 */
import { verify } from '@node-rs/argon2';
import { gatehouse } from '../lib/dist.mjs';
import { USER } from '../lib/fixtures.mjs';
import { serveRuns } from './worker.mjs';

const { hashPassword } = await gatehouse('core/password.js');
const phc = await hashPassword(USER.password);
const password = USER.password.normalize('NFKC');
if (!(await verify(phc, password))) throw new Error('argon2 verify failed in set-up');
serveRuns(
  async () => {
    if (!(await verify(phc, password))) throw new Error('argon2 verify failed');
  },
  { params: phc.split('$').slice(1, 4).join('$') },
);
