/**
 * `gatehouse users invite`, `users invitations` and `users invitations revoke` through the
 * command (dist/): the invitation emailed to the development outbox with a link on the issuer the
 * server would serve, listed, replaced, revoked, refused for an address with an account, and in
 * production without an email sender refused unless `--print-link`. Accepting the link is tested
 * through the fetch handler (test/server/accounts/invitations.test.ts) and in Chromium.
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOutbox } from '../../src/server/mfa/senders/dev-outbox.js';
import { createWorkspace, parseJson, runCli, runCliOk, type Workspace } from '../helpers/cli.js';

let ws: Workspace;
const dev = (args: string[]) => runCli([...args, '--data', ws.dataDir], { cwd: ws.cwd, dev: true });

beforeAll(async () => {
  ws = createWorkspace();
  await runCliOk(['migrate', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
});

afterAll(() => ws.remove());

interface Listed {
  id: string;
  email: string;
  name: string | null;
  invited_at: string;
  expires_at: string;
}

async function pending(): Promise<Listed[]> {
  return parseJson<Listed[]>(await dev(['users', 'invitations', '--json']));
}

describe('gatehouse users invite', () => {
  it('emails the invitation (development outbox) with a link on the issuer, prints no link, lists it, and audits user.invited', async () => {
    const result = await dev(['users', 'invite', '--email', 'Ada@Example.com', '--name', 'Ada Lovelace']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/invited ada@example\.com until \S+, emailed \(invitation [\w-]{16}\)/);
    const mail = (await readOutbox(join(ws.dataDir, 'outbox.jsonl'))).at(-1)!;
    expect(mail).toMatchObject({ to: 'ada@example.com', purpose: 'invitation', subject: 'You are invited to Gatehouse' });
    expect(mail.link).toMatch(/^http:\/\/127\.0\.0\.1:3000\/invitation\?token=[\w-]{43}$/);
    expect(mail.html).toContain('Accept the invitation');
    const [listed] = await pending();
    expect(listed).toMatchObject({ email: 'ada@example.com', name: 'Ada Lovelace' });
    expect(Date.parse(listed!.expires_at) - Date.parse(listed!.invited_at)).toBe(7 * 86_400_000);
    const table = await dev(['users', 'invitations']);
    expect(table.stdout).toContain(listed!.id);
    expect(table.stdout).toContain('ada@example.com');
    const audit = await dev(['audit', 'tail', '--type', 'user.invited', '--json']);
    expect(audit.stdout).toContain(listed!.id);
    // The link's secret is in the outbox only, never in the audit log.
    expect(audit.stdout).not.toContain(new URL(mail.link!).searchParams.get('token'));
  });

  it('inviting the address again replaces its invitation; revoke ends one; an unknown id is an error', async () => {
    const [before] = await pending();
    await runCliOk(['users', 'invite', '--email', 'ada@example.com', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
    const after = await pending();
    expect(after).toHaveLength(1);
    expect(after[0]!.id).not.toBe(before!.id);

    const revoked = await dev(['users', 'invitations', 'revoke', after[0]!.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stderr).toContain('revoked the invitation of ada@example.com');
    expect(await pending()).toEqual([]);
    expect((await dev(['audit', 'tail', '--type', 'invitation.revoked', '--json'])).stdout).toContain(after[0]!.id);

    const unknown = await dev(['users', 'invitations', 'revoke', after[0]!.id]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`no pending invitation "${after[0]!.id}"`);
  });

  it('refuses an address that already has an account, and a missing --email', async () => {
    await runCliOk(['users', 'add', '--username', 'bob', '--email', 'bob@example.com', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
    const taken = await dev(['users', 'invite', '--email', 'bob@example.com']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe('error: email: already has an account ("bob@example.com" is user "bob"); nothing to invite\n');
    const missing = await dev(['users', 'invite']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--email is required');
  });

  it('in production without an email sender: refused, unless --print-link, which prints the link on stdout', async () => {
    const prod = createWorkspace();
    try {
      const env = { GATEHOUSE_SECRET: 's'.repeat(40), GATEHOUSE_ISSUER: 'https://id.example.com' };
      writeFileSync(join(prod.cwd, 'gatehouse.config.json'), JSON.stringify({ invitationTtl: 86_400 }));
      await runCliOk(['migrate', '--data', prod.dataDir], { cwd: prod.cwd, env });
      const refused = await runCli(['users', 'invite', '--email', 'cy@example.com', '--data', prod.dataDir], { cwd: prod.cwd, env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/no email sender is configured/);
      const printed = await runCli(['users', 'invite', '--email', 'cy@example.com', '--print-link', '--json', '--data', prod.dataDir], { cwd: prod.cwd, env });
      expect(printed.code).toBe(0);
      const record = parseJson(printed);
      expect(record).toMatchObject({
        email: 'cy@example.com',
        emailed: false,
        link: expect.stringMatching(/^https:\/\/id\.example\.com\/invitation\?token=[\w-]{43}$/),
      });
      expect(Date.parse(record.expires_at as string) - Date.parse(record.invited_at as string)).toBe(86_400_000);
      const plain = await runCli(['users', 'invite', '--email', 'dee@example.com', '--print-link', '--data', prod.dataDir], { cwd: prod.cwd, env });
      expect(plain.stdout).toMatch(/^https:\/\/id\.example\.com\/invitation\?token=[\w-]{43}\n$/);
      expect(plain.stderr).toContain('not emailed (no email sender): send the link yourself');
    } finally {
      prod.remove();
    }
  });
});
