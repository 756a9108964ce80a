/**
 * Issue 21, the emails and text messages, through the fetch handler with the development outbox:
 * each is written in the language of whoever reads it. An answer to a request (a sign-up's code, a
 * reset link, a sign-in code, an SMS code) in the request's page language (`ui_locales` first); a
 * message about an account (a notice, an invitation) in the account's `locale` claim, else
 * `languages.default`; an operator's template for one language before the one for all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDevOutboxSender, latestCode, readOutbox } from '../../src/server/mfa/senders/index.js';
import { askForEmailCode, closeOutboxFlows, postAccountForm, startOutboxFlow, waitForEmail, type OutboxFlow } from '../helpers/accounts.js';
import { FakeClock, T0 } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, pkce, submitLogin, type Page } from '../helpers/flow.js';
import { expectMfaChallenge, factorContext, giveContact, sendTargets, submitMfa } from '../helpers/mfa.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { parseForms } from '../helpers/user-agent.js';

const ALICE = 'alice@example.com';
const PASSWORD = 'correct horse battery staple';

const dirs: string[] = [];
afterEach(async () => {
  await closeOutboxFlows();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-emails-i18n-'));
  dirs.push(dir);
  return dir;
}

/** The login page of a new sign-in from the flow's client, with `params` (ui_locales…). */
async function loginPage(flow: OutboxFlow, browser: Browser, params: Record<string, string> = {}): Promise<Page> {
  return expectPage(await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, params))), 'login');
}

/** "Forgot password?" outside a sign-in, with `headers` on every request; the reset email. */
async function askForReset(flow: OutboxFlow, browser: Browser, headers: Record<string, string>) {
  const forgot = await browser.open('/forgot-password', { headers });
  const form = parseForms(forgot.body)[0]!;
  await browser.open(form.action, { form: { ...form.fields, email: ALICE }, headers });
  return waitForEmail(flow.outbox, ALICE, 'password_reset');
}

describe('emails in the language of the request', () => {
  it('a sign-up with ui_locales=de: the verification email is German (subject, <html lang="de">, text part)', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(Date.now()), accounts: { signUp: 'open' } });
    const browser = new Browser(flow.server);
    const login = await loginPage(flow, browser, { ui_locales: 'de' });
    const link = /href="([^"]*\/signup)"/.exec(login.body)?.[1];
    const form = await browser.open(link!);
    expect(form.body).toContain('<html lang="de" dir="ltr">');
    await postAccountForm(browser, form, '/signup', { email: 'carol@example.com', name: 'Carol', password: PASSWORD });
    const email = await waitForEmail(flow.outbox, 'carol@example.com', 'verify_email');
    expect(email.subject).toBe('Bestätigen Sie Ihre E-Mail-Adresse für Gatehouse');
    expect(email.html).toContain('<html lang="de" dir="ltr">');
    expect(email.html).toContain('E-Mail-Adresse bestätigen');
    expect(email.html).toContain('Oder öffnen Sie diesen Link:');
    expect(email.text).toMatch(/^Hallo,\n/);
    expect(email.text).toContain('Er ist 24 Stunden lang gültig.');
    expect(email.text).toContain(`Ihr Code: ${email.code}`);
    expect(email.text).not.toMatch(/\b(Confirm|Hello|hours)\b/);
  });

  it('a password reset asked in Arabic (Accept-Language: ar): the email is Arabic, right to left', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const email = await askForReset(flow, new Browser(flow.server), { 'accept-language': 'ar' });
    expect(email.subject).toBe('أعد تعيين كلمة مرورك في Gatehouse');
    expect(email.html).toContain('<html lang="ar" dir="rtl">');
    expect(email.html).toContain('<body class="bg" dir="rtl"');
    expect(email.html).toContain('text-align:right');
    expect(email.html).not.toContain('text-align:left');
    // 30 minutes, with Arabic's plural form for 3–10 ("few") or 11–99 ("many").
    expect(email.text).toContain('لمدة 30 دقيقة');
    expect(email.text).toContain('اختيار كلمة مرور جديدة\nhttp://localhost:3000/reset-password?token=');
  });

  it('a sign-in code by email with ui_locales=ja: the email is Japanese', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0), accounts: { passwordless: 'email' } });
    const browser = new Browser(flow.server);
    // The browser asks for English: the sign-in's ui_locales win.
    const login = expectPage(
      await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, { ui_locales: 'ja-JP en' })), {
        headers: { 'accept-language': 'en' },
      }),
      'login',
    );
    await askForEmailCode(browser, login, ALICE);
    const email = await waitForEmail(flow.outbox, ALICE, 'email_sign_in');
    expect(email.subject).toBe('Gatehouse のログインコード');
    expect(email.html).toContain('<html lang="ja" dir="ltr">');
    expect(email.text).toContain('1 回だけ、10分有効です。');
    expect(email.text).toContain(`コード：${email.code}`);
  });

  it('an SMS code during a sign-in with ui_locales=fr: the text message is French', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0 + 45_000), mfa: { policy: 'optional' } }, { sms: true });
    await giveContact(factorContext(flow.server.store, flow.server.clock), flow.users.bob.record.id, 'sms', '+447700900123');
    const browser = new Browser(flow.server);
    const login = await loginPage(flow, browser, { ui_locales: 'fr' });
    const challenge = expectMfaChallenge(await submitLogin(browser, login, flow.users.bob));
    await submitMfa(browser, challenge, 'send', {}, sendTargets(challenge)[0]);
    const sms = (await readOutbox(flow.outbox)).filter((entry) => entry.channel === 'sms').at(-1)!;
    const code = await latestCode(flow.outbox, '+447700900123', { purpose: 'sign_in', channel: 'sms' });
    expect(sms.text).toBe(`${code} est votre code de connexion Gatehouse. Il expire dans 5 minutes. Ne le partagez pas.`);
    expect(sms.subject).toBe('Votre code de connexion Gatehouse');
  });
});

describe('emails about an account: its locale claim, else languages.default', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.server.close();
    t = undefined;
  });

  it('an invitation by the admin API is in languages.default, not the administrator’s language', async () => {
    const outbox = join(tempDir(), 'outbox.jsonl');
    t = await startServer({ languages: { default: 'es' }, mfa: { senders: { email: createDevOutboxSender({ file: outbox, log: () => undefined }) } } });
    const admin = await t.register({ name: 'automation', scope: 'admin' });
    const token = await t.issueToken(admin, { scope: 'admin' });
    const response = await t.server.fetch(
      new Request(`${t.issuer}/admin/api/v1/invitations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'de' },
        body: JSON.stringify({ email: 'grace@example.com', name: 'Grace' }),
      }),
    );
    expect(response.status).toBe(201);
    const email = await waitForEmail(outbox, 'grace@example.com', 'invitation');
    expect(email.subject).toBe('Te han invitado a Gatehouse');
    expect(email.html).toContain('<html lang="es" dir="ltr">');
    expect(email.text).toMatch(/^Hola, Grace:\n/);
    expect(email.text).toContain('El enlace es válido durante 7 días.');
  });

  it('the "password changed" notice follows the account’s locale claim (pt-BR), the reset link the browser (ar)', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const alice = flow.users.alice.record;
    await flow.server.store.users.update({ ...alice, profile: { ...alice.profile, locale: 'pt-br' } });
    const browser = new Browser(flow.server);
    const headers = { 'accept-language': 'ar' };
    const { link } = await askForReset(flow, browser, headers);
    const form = await browser.open(link!, { headers });
    await postAccountForm(browser, form, '/reset-password', { password: PASSWORD });
    const notice = await waitForEmail(flow.outbox, ALICE, 'password_changed');
    expect(notice.subject).toBe('Sua senha do Gatehouse foi alterada');
    expect(notice.html).toContain('<html lang="pt-BR" dir="ltr">');
  });

  it('with no locale claim, the "password changed" notice is in the language of the pages the owner changed it on (de)', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const browser = new Browser(flow.server);
    await browser.open('/language', { form: { lang: 'de', return_to: '/' } });
    const { link } = await askForReset(flow, browser, {});
    await postAccountForm(browser, await browser.open(link!), '/reset-password', { password: PASSWORD });
    const notice = await waitForEmail(flow.outbox, ALICE, 'password_changed');
    expect(notice.html).toContain('<html lang="de" dir="ltr">');
  });
});

describe('an operator’s template for one language (emails.templatesDir)', () => {
  it('<template>.<lang>.subject.txt is used in that language, <template>.subject.txt in the others', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'password_reset.subject.txt'), 'Reset at {{product}}\n');
    writeFileSync(join(dir, 'password_reset.de.subject.txt'), 'Neues Passwort für {{product}} ({{expiresIn}})\n');
    writeFileSync(join(dir, 'password_reset.de.txt'), 'Hier entlang: {{link}}\n');
    const flow = await startOutboxFlow({ clock: new FakeClock(T0), emails: { templatesDir: dir } });

    const german = await askForReset(flow, new Browser(flow.server), { 'accept-language': 'de' });
    expect(german.subject).toBe('Neues Passwort für Gatehouse (30 Minuten)');
    expect(german.text).toBe(`Hier entlang: ${german.link}\n`);
    // No German HTML file: the built-in one, in German.
    expect(german.html).toContain('<html lang="de" dir="ltr">');

    const french = await askForReset(flow, new Browser(flow.server), { 'accept-language': 'fr' }).then(() =>
      waitForEmail(flow.outbox, ALICE, 'password_reset', 2),
    );
    expect(french.subject).toBe('Reset at Gatehouse');
    expect(french.text).toContain('Choisissez un nouveau mot de passe');
  });
});
