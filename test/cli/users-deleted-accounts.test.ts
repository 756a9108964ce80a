/**
 * `gatehouse users restore` and `gatehouse users purge-deleted` (issue 17 item 5): an account its
 * owner deleted with a grace period (`accounts.deletionGraceDays`) comes back within it, and is
 * removed by the sweep once it is over. The deletion itself is made through the library on the
 * command's own database, as the account page makes it.
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteOwnAccount, deletionDueAt } from '../../src/server/accounts/account-deletion.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { createWorkspace, parseJson, runCli, runCliOk, type Workspace } from '../helpers/cli.js';
import { FakeClock } from '../helpers/fake-clock.js';

const ENV = { GATEHOUSE_SECRET: 'd'.repeat(48) };
const DAY_MS = 86_400_000;
let ws: Workspace;

const cli = (args: string[]) => runCli([...args, '--data', ws.dataDir], { cwd: ws.cwd, env: ENV });

/** Deletes the user's account with `graceDays`, as if `daysAgo` days ago. */
async function deleteAccount(sub: string, graceDays: number, daysAgo: number): Promise<void> {
  const store = createSqliteStore({ filename: join(ws.dataDir, 'gatehouse.db') });
  try {
    const user = (await store.users.get(sub))!;
    await deleteOwnAccount(store, new FakeClock(Date.now() - daysAgo * DAY_MS), user, graceDays);
  } finally {
    await store.close();
  }
}

async function show(sub: string): Promise<{ code: number | null; user?: { disabled: boolean } }> {
  const result = await cli(['users', 'show', sub, '--json']);
  return result.code === 0 ? { code: 0, user: parseJson<{ disabled: boolean }>(result) } : { code: result.code };
}

beforeAll(async () => {
  ws = createWorkspace();
  await runCliOk(['migrate', '--data', ws.dataDir], { cwd: ws.cwd, env: ENV });
}, 60_000);

afterAll(() => ws?.remove());

describe('gatehouse users restore / purge-deleted', () => {
  it('restore brings back an account waiting for deletion, and refuses one that is not', async () => {
    const { sub } = parseJson<{ sub: string }>(
      await runCliOk(['users', 'add', '--username', 'dora', '--json', '--data', ws.dataDir], { cwd: ws.cwd, env: ENV }),
    );
    await deleteAccount(sub, 7, 0);
    expect((await show(sub)).user).toMatchObject({ disabled: true });

    const restored = await cli(['users', 'restore', 'dora']);
    expect(restored.code).toBe(0);
    expect(restored.stderr).toContain('restored dora');
    expect((await show(sub)).user).toMatchObject({ disabled: false });

    const again = await cli(['users', 'restore', 'dora']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('is not waiting for deletion');
  });

  it('purge-deleted removes the accounts whose grace period is over, and only those', async () => {
    const due = parseJson<{ sub: string }>(await runCliOk(['users', 'add', '--username', 'ed', '--json', '--data', ws.dataDir], { cwd: ws.cwd, env: ENV }));
    const waiting = parseJson<{ sub: string }>(
      await runCliOk(['users', 'add', '--username', 'flo', '--json', '--data', ws.dataDir], { cwd: ws.cwd, env: ENV }),
    );
    await deleteAccount(due.sub, 7, 8);
    await deleteAccount(waiting.sub, 7, 1);

    const purged = await cli(['users', 'purge-deleted']);
    expect(purged.code).toBe(0);
    expect(purged.stderr).toContain('removed 1 deleted account(s)');
    expect((await show(due.sub)).code).not.toBe(0);
    expect((await show(waiting.sub)).user).toMatchObject({ disabled: true });
    const store = createSqliteStore({ filename: join(ws.dataDir, 'gatehouse.db') });
    expect(await deletionDueAt(store, waiting.sub)).toBeGreaterThan(Date.now());
    await store.close();
  });
});
