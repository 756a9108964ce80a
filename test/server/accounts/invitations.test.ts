import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../../src/core/password.js';
import { AdminInputError } from '../../../src/server/admin/input-error.js';
import { inviteUser, listInvitations, revokeInvitation, type InvitationContext } from '../../../src/server/accounts/invitations.js';
import { resolveOptions } from '../../../src/server/options.js';
import { closeOutboxFlows, emailsTo, invitationContext, startOutboxFlow, type OutboxFlow } from '../../helpers/accounts.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { ISSUER, SECRET, type TestServer } from '../../helpers/server.js';

const STRONG = 'correct horse battery staple lantern';

let flow: OutboxFlow;
let server: TestServer;
let ctx: InvitationContext;

beforeAll(async () => {
  // Invitations are an operator action: they work with sign-up off (the default).
  // Every password posted with a link spends signInPerIp (one test address here): room for the race below.
  flow = await startOutboxFlow({ clock: new FakeClock(), protection: { rateLimits: { signInPerIp: { points: 1000, seconds: 3600 } } } });
  server = flow.server;
  ctx = invitationContext(server, flow.outbox);
});

afterAll(closeOutboxFlows);

/** The link of the newest invitation emailed to `to`. */
async function linkFor(to: string): Promise<string> {
  const entry = (await emailsTo(flow.outbox, to, 'invitation')).at(-1);
  if (!entry?.link) throw new Error(`no invitation emailed to ${to}`);
  return entry.link;
}

/** Opens the link: the page, the browser cookie it set and the form's CSRF token. */
async function open(link: string): Promise<{ status: number; body: string; cookie: string; csrf: string; token: string }> {
  const response = await server.get(link);
  const body = await response.text();
  const cookie = (response.headers.get('set-cookie') ?? '').split(';', 1)[0]!;
  return {
    status: response.status,
    body,
    cookie,
    csrf: /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? '',
    token: new URL(link).searchParams.get('token') ?? '',
  };
}

function accept(page: { cookie: string; csrf: string; token: string }, fields: Record<string, string>) {
  return server.post('/invitation', { token: page.token, csrf: page.csrf, ...fields }, { headers: { cookie: page.cookie } });
}

async function auditTypes(type: string): Promise<Record<string, unknown>[]> {
  return (await server.store.audit.tail(500, type)).map((event) => ({ subject: event.subject, ...event.details }));
}

describe('an invitation from first email to account', () => {
  it('the link opens in the browser’s language (Accept-Language: de; issue 21)', async () => {
    await inviteUser(ctx, { email: 'hedy@example.com' }, { requireEmail: true });
    const page = await server.get(await linkFor('hedy@example.com'), { headers: { 'accept-language': 'de' } });
    const body = await page.text();
    expect(body).toContain('<html lang="de" dir="ltr">');
    expect(body).toContain('<h1>Passwort festlegen</h1>');
    expect(body).toContain('Ihr Konto wird <strong>hedy@example.com</strong> sein');
  });

  it('emails a link; the page asks for a password, shows the policy reason, then creates the verified account', async () => {
    const { invitation, emailed } = await inviteUser(ctx, { email: 'Grace@Example.com', name: 'Grace Hopper' }, { requireEmail: true });
    expect(emailed).toBe(true);
    expect(invitation.email).toBe('grace@example.com');
    const mail = (await emailsTo(flow.outbox, 'grace@example.com', 'invitation')).at(-1)!;
    expect(mail).toMatchObject({ to: 'grace@example.com', purpose: 'invitation', subject: 'You are invited to Gatehouse' });
    expect(mail.text).toContain('Hello Grace Hopper,');
    expect(mail.text).toContain('7 days');
    expect(await auditTypes('user.invited')).toContainEqual(expect.objectContaining({ email: 'grace@example.com', invitation: invitation.id, emailed: true }));

    const page = await open(await linkFor('grace@example.com'));
    expect(page.status).toBe(200);
    expect(page.body).toContain('Set your password');
    expect(page.body).toContain('grace@example.com');
    expect(page.body).toContain('value="Grace Hopper"');
    expect(page.cookie).toMatch(/^gh_browser=/);

    const weak = await accept(page, { name: 'Grace Hopper', password: 'password1' });
    expect(weak.status).toBe(400);
    expect(await weak.text()).toContain('too easy to guess');
    expect(await server.store.users.findByLogin('grace@example.com')).toBeUndefined();

    const done = await accept(page, { name: 'Grace B. Hopper', password: STRONG });
    expect(done.status).toBe(200);
    const ready = await done.text();
    expect(ready).toContain('Your account is ready');
    expect(ready).toContain(`href="${ISSUER}/account"`);
    const user = (await server.store.users.findByLogin('grace@example.com'))!;
    expect(user).toMatchObject({ username: 'grace', email: 'grace@example.com', emailVerified: true, profile: { name: 'Grace B. Hopper' } });
    expect(await verifyPassword(user.passwordHash!, STRONG)).toBe(true);
    expect(await auditTypes('invitation.accepted')).toContainEqual({ subject: user.id, email: 'grace@example.com' });
    expect(await listInvitations(ctx)).not.toContainEqual(expect.objectContaining({ email: 'grace@example.com' }));

    // Used: the same link, or the same form again, says so.
    expect((await open(await linkFor('grace@example.com'))).status).toBe(410);
    const again = await accept(page, { password: STRONG });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('This invitation link no longer works');
  });

  it('refuses an address that already has an account, and one without a sender when email is required', async () => {
    await expect(inviteUser(ctx, { email: 'grace@example.com' }, { requireEmail: true })).rejects.toThrow(
      /already has an account \("grace@example\.com" is user "grace"\)/,
    );
    const noSender = { ...ctx, config: resolveOptions({ issuer: ISSUER, secret: SECRET, store: server.store }) };
    await expect(inviteUser(noSender, { email: 'nosender@example.com' }, { requireEmail: true })).rejects.toThrow(AdminInputError);
    expect(await listInvitations(ctx)).not.toContainEqual(expect.objectContaining({ email: 'nosender@example.com' }));
    const printed = await inviteUser(noSender, { email: 'nosender@example.com' }, { requireEmail: false });
    expect(printed).toMatchObject({ emailed: false, link: expect.stringMatching(/^http:\/\/localhost:3000\/invitation\?token=[\w-]{43}$/) });
  });

  it('re-inviting an address replaces its earlier invitation', async () => {
    const first = await inviteUser(ctx, { email: 'ada@example.com' }, { requireEmail: true });
    const firstLink = await linkFor('ada@example.com');
    const second = await inviteUser(ctx, { email: 'ada@example.com', name: 'Ada' }, { requireEmail: true });
    expect((await listInvitations(ctx)).filter((entry) => entry.email === 'ada@example.com').map((entry) => entry.id)).toEqual([second.invitation.id]);
    expect(first.invitation.id).not.toBe(second.invitation.id);
    expect((await open(firstLink)).status).toBe(410);
    expect((await open(await linkFor('ada@example.com'))).status).toBe(200);
    expect(await auditTypes('user.invited')).toContainEqual(expect.objectContaining({ email: 'ada@example.com', replaced: 1 }));
  });

  it('a revoked, an expired and a made-up link all get the clear page', async () => {
    const revoked = await inviteUser(ctx, { email: 'revoked@example.com' }, { requireEmail: true });
    await revokeInvitation(ctx, revoked.invitation.id);
    expect((await open(await linkFor('revoked@example.com'))).status).toBe(410);
    expect(await auditTypes('invitation.revoked')).toContainEqual(expect.objectContaining({ email: 'revoked@example.com', invitation: revoked.invitation.id }));
    await expect(revokeInvitation(ctx, revoked.invitation.id)).rejects.toThrow(/no pending invitation/);

    await inviteUser(ctx, { email: 'late@example.com' }, { requireEmail: true });
    const page = await open(await linkFor('late@example.com'));
    flow.clock.advance(ctx.config.accounts.invitationTtl * 1000 + 1);
    expect((await open(await linkFor('late@example.com'))).status).toBe(410);
    expect((await accept(page, { password: STRONG })).status).toBe(410);
    expect(await listInvitations(ctx)).not.toContainEqual(expect.objectContaining({ email: 'late@example.com' }));

    for (const token of ['', 'nope', 'A'.repeat(43)]) {
      const made = await server.get(`/invitation?token=${token}`);
      expect(made.status).toBe(410);
      expect(await made.text()).toContain('ask whoever invited you for a new invitation');
    }
    expect(await server.store.users.findByLogin('late@example.com')).toBeUndefined();
  });

  it('refuses a form without this browser (no cookie, another cookie, or a wrong token): 403, nothing created', async () => {
    await inviteUser(ctx, { email: 'csrf@example.com' }, { requireEmail: true });
    const page = await open(await linkFor('csrf@example.com'));
    const other = await open(await linkFor('csrf@example.com'));
    for (const forged of [
      { ...page, cookie: '' },
      { ...page, cookie: other.cookie },
      { ...page, csrf: 'x'.repeat(43) },
    ]) {
      const response = await accept(forged, { password: STRONG });
      expect(response.status).toBe(403);
    }
    expect(await server.store.users.findByLogin('csrf@example.com')).toBeUndefined();
    expect((await accept(page, { password: STRONG })).status).toBe(200);
  });

  it('100 concurrent accepts of one link create exactly one account', async () => {
    await inviteUser(ctx, { email: 'race@example.com' }, { requireEmail: true });
    const page = await open(await linkFor('race@example.com'));
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => accept(page, { password: `${STRONG} ${i}` })));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 410)).toHaveLength(99);
    expect((await server.store.users.list()).filter((user) => user.email === 'race@example.com')).toHaveLength(1);
    expect((await auditTypes('invitation.accepted')).filter((event) => event.email === 'race@example.com')).toHaveLength(1);
  });

  it('invitations of addresses with the same name part, accepted at once: an account each, under a username each', async () => {
    const addresses = ['kim@a.example', 'kim@b.example', 'kim@c.example'];
    for (const email of addresses) await inviteUser(ctx, { email }, { requireEmail: true });
    const pages = await Promise.all(addresses.map(async (email) => open(await linkFor(email))));
    const responses = await Promise.all(pages.map((page) => accept(page, { password: STRONG })));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    const users = await Promise.all(addresses.map((email) => server.store.users.findByLogin(email)));
    expect(users.map((user) => user?.username).sort()).toEqual(['kim', 'kim-2', 'kim-3']);
  });
});
