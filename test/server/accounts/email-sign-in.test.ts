/**
 * Issue 17, sign-in by email (`accounts.passwordless: email`), through the fetch handler with the
 * development outbox: the code typed on the page, the link opened in the same browser (and refused
 * in another), MFA and consent going on as after a password, unknown and disabled addresses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { askForEmailCode as askForCode, closeOutboxFlows, emailsTo, settle, startOutboxFlow, waitForEmail, type OutboxFlow } from '../../helpers/accounts.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, expectTokens, pkce, readIdToken, redeemCode, type Page } from '../../helpers/flow.js';
import { continueToClient, expectMfaChallenge, factorContext, giveTotp, submitMfa, textOf, totpAt } from '../../helpers/mfa.js';
import { SECRET } from '../../helpers/server.js';
import { parseForms } from '../../helpers/user-agent.js';

const ALICE = 'alice@example.com';

let flow: OutboxFlow | undefined;
afterEach(closeOutboxFlows);

/** A new sign-in in `browser`: its login page and PKCE verifier. */
async function startSignIn(browser: Browser): Promise<{ login: Page; verifier: string }> {
  const { verifier, challenge } = pkce();
  const login = expectPage(await browser.open(authorizeUrl(flow!.server, authorizeParams(flow!.client, challenge))), 'login');
  return { login, verifier };
}

/** Submits the code page's code form. */
function submitCode(browser: Browser, page: Page, code: string): Promise<Page> {
  const form = parseForms(page.body).find((candidate) => candidate.action.endsWith('/email-code/verify'));
  if (!form) throw new Error(`no code form on ${page.url}:\n${page.body.slice(0, 800)}`);
  return browser.open(form.action, { form: { ...form.fields, code } });
}

describe('sign-in by email', () => {
  it('ui_locales=de: the code page is German, and so is a wrong code’s alert (issue 21)', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0), accounts: { passwordless: 'email' } });
    const browser = new Browser(flow.server);
    const login = expectPage(await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, { ui_locales: 'de' }))), 'login');
    const codePage = await askForCode(browser, login, ALICE);
    expect(codePage.body).toContain('<html lang="de" dir="ltr">');
    expect(codePage.body).toContain('<label for="code">Anmeldecode</label>');
    const { code } = await waitForEmail(flow.outbox, ALICE, 'email_sign_in');
    const wrong = await submitCode(browser, codePage, code === '000000' ? '111111' : '000000');
    expect(textOf(wrong.body)).toContain('Dieser Code hat nicht funktioniert.');
  });

  it('the emailed code signs in: consent and the client go on as after a password, amr otp', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0), accounts: { passwordless: 'email' } });
    const browser = new Browser(flow.server);
    const { login, verifier } = await startSignIn(browser);
    const codePage = await askForCode(browser, login, ALICE);
    expect(codePage.status).toBe(200);
    expect(textOf(codePage.body)).toContain('If an account uses this address, we emailed it a sign-in code and a link.');
    expect(codePage.body).not.toContain(ALICE);
    const email = await waitForEmail(flow.outbox, ALICE, 'email_sign_in');
    expect(email.code).toMatch(/^\d{6}$/);

    const wrong = await submitCode(browser, codePage, email.code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(401);
    expect(textOf(wrong.body)).toContain('That code did not work.');
    const callback = await continueToClient(browser, await submitCode(browser, wrong, email.code));
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callback.get('code')!, verifier));
    expect(readIdToken(tokens.id_token!).claims.amr).toEqual(['otp']);
    // Used: the link of the same email no longer works.
    expect((await browser.open(email.link!)).status).toBe(400);
  });

  it('the link signs in in the browser that asked, not in another; a user with TOTP still owes it', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0 + 45_000), accounts: { passwordless: 'email' }, mfa: { policy: 'optional' } });
    const totp = await giveTotp(factorContext(flow.server.store, flow.server.clock, SECRET), flow.users.alice.record.id);
    flow.server.clock.advance(30_000);
    const browser = new Browser(flow.server);
    const { login } = await startSignIn(browser);
    await askForCode(browser, login, ALICE);
    const { link } = await waitForEmail(flow.outbox, ALICE, 'email_sign_in');
    const other = await new Browser(flow.server).open(link!);
    expect(other.status).toBe(400);
    expect(textOf(other.body)).toContain('enter the 6-digit code from the email there');
    const mfa = expectMfaChallenge(await browser.open(link!));
    const after = await submitMfa(browser, mfa, 'totp', { code: await totpAt(totp.secret, flow.server.clock.now()) });
    expect((await continueToClient(browser, after)).get('code')).toBeTruthy();
  });

  it('an unknown address and a disabled account get the same page and no email; a missing address is asked for', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0), accounts: { passwordless: 'email' } });
    await flow.server.store.users.update({ ...flow.users.bob.record, disabled: true });
    const browser = new Browser(flow.server);
    const { login } = await startSignIn(browser);
    const pages = [];
    for (const address of ['nobody@example.com', 'bob@example.com', ALICE])
      pages.push((await askForCode(browser, login, address)).body.replace(/nonce="[^"]*"/g, ''));
    expect(new Set(pages).size).toBe(1);
    await waitForEmail(flow.outbox, ALICE, 'email_sign_in');
    await settle();
    expect(await emailsTo(flow.outbox, 'bob@example.com', 'email_sign_in')).toEqual([]);
    const empty = await askForCode(browser, login, '');
    expect(textOf(empty.body)).toContain('Enter your email address to get a sign-in code.');
    // "Send a new code" asks again for the address already given.
    const form = parseForms((await askForCode(browser, login, ALICE)).body).find((candidate) => candidate.fields.resend === '1')!;
    await browser.open(form.action, { form: form.fields });
    await waitForEmail(flow.outbox, ALICE, 'email_sign_in', 3);
  });

  it('is off unless accounts.passwordless is email', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const browser = new Browser(flow.server);
    const { login } = await startSignIn(browser);
    expect(login.body).not.toContain('Email me a sign-in code');
    const form = parseForms(login.body)[0]!;
    const id = /\/interaction\/([^/]+)\/login/.exec(form.action)![1]!;
    const refused = await browser.open(`/interaction/${id}/email-code`, { form: { csrf: form.fields.csrf!, username: ALICE } });
    expect(refused.status).toBe(404);
    expect((await browser.open(`/email-sign-in?token=${'A'.repeat(43)}`)).status).toBe(404);
  });
});
