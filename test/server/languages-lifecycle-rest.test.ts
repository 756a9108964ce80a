/**
 * Issue 21: what was still English on the account lifecycle pages, through the fetch handler: the
 * sign-up form's refusal reasons, profile field labels, "(optional)" marks and proof-of-work
 * status (German), a refused new password (French), an expired reset link (Spanish), the flows'
 * error pages (Arabic, right to left).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { inviteUser } from '../../src/server/accounts/invitations.js';
import { closeOutboxFlows, invitationContext, startOutboxFlow, waitForEmail, type OutboxFlow } from '../helpers/accounts.js';
import { FakeClock, T0 } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, findForm, pkce, type Page } from '../helpers/flow.js';
import { factorContext, giveTotp, htmlTagOf, textOf } from '../helpers/mfa.js';
import { SECRET } from '../helpers/server.js';

afterEach(closeOutboxFlows);

/** The text of the page's alert, or undefined. */
const alertText = (page: Page) => /role="alert">[\s\S]*?<p>([^<]*)<\/p>/.exec(page.body)?.[1];

/** Posts the form of `page` with `values`, sending `headers` (the browser's language) as the browser would. */
function submitWith(browser: Browser, page: Page, values: Record<string, string>, headers: Record<string, string>): Promise<Page> {
  const form = findForm(page);
  return browser.open(new URL(form.action, page.url).href, { form: { ...form.fields, ...values }, headers });
}

/** The sign-up form of a sign-in asked for with `ui_locales`, by the login page's "Create an account". */
async function openSignUp(flow: OutboxFlow, uiLocales: string): Promise<Page> {
  const login = expectPage(
    await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, { ui_locales: uiLocales }))),
    'login',
  );
  const link = /href="([^"]*\/signup)"/.exec(login.body)?.[1];
  if (!link) throw new Error('no "Create an account" link');
  return flow.browser.open(link);
}

describe('sign-up in German (ui_locales=de)', () => {
  it('the optional profile fields, their "(optional)" marks and the refusal reasons are German', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(Date.now()), accounts: { signUp: 'open', signUpClaims: ['given_name', 'birthdate'] } });
    const form = await openSignUp(flow, 'de');
    expect(htmlTagOf(form.body)).toBe('<html lang="de" dir="ltr">');
    expect(form.body).toContain('<label for="claim-given_name">Vorname <span class="optional">(optional)</span></label>');
    expect(form.body).toContain('<label for="claim-birthdate">Geburtsdatum <span class="optional">(optional)</span></label>');
    expect(form.body).toContain('>Im Format JJJJ-MM-TT.</p>');
    expect(textOf(form.body)).toContain('Mindestens 8 Zeichen.');

    const noName = await flow.browser.submit(form, { email: 'kim@example.com', name: '', password: 'correct horse battery staple' });
    expect(noName.status).toBe(400);
    expect(htmlTagOf(noName.body)).toBe('<html lang="de" dir="ltr">');
    expect(alertText(noName)).toBe('Geben Sie Ihren Namen ein.');

    const badDate = await flow.browser.submit(noName, {
      email: 'kim@example.com',
      name: 'Kim',
      password: 'correct horse battery staple',
      birthdate: 'gestern',
    });
    expect(alertText(badDate)).toBe('Prüfen Sie das Feld „Geburtsdatum“. Im Format JJJJ-MM-TT.');
    expect(badDate.body).toContain('aria-invalid="true" aria-describedby="claim-birthdate-hint signup-error"');

    const weak = await flow.browser.submit(badDate, { email: 'kim@example.com', name: 'Kim', password: 'password123' });
    expect(alertText(weak)).toBe('Dieses Passwort ist zu leicht zu erraten. Einige Wörter ohne Zusammenhang ergeben zusammen ein starkes Passwort.');
    const short = await flow.browser.submit(weak, { email: 'kim@example.com', name: 'Kim', password: 'kurz' });
    expect(alertText(short)).toBe('Wählen Sie ein Passwort mit mindestens 8 Zeichen.');
  });

  it('with proof of work: the status line’s words and the refusal of a form sent without it are German', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(Date.now()), accounts: { signUp: 'open', proofOfWork: 2000 } });
    const form = await openSignUp(flow, 'de');
    expect(form.body).toContain('data-pow-checking="Ihr Browser wird geprüft…" data-pow-done="Fertig. Wird gesendet…"');
    expect(form.body).toContain('Dieses Formular braucht JavaScript, um Ihren Browser vor dem Senden zu prüfen.');
    const refused = await flow.browser.submit(form, { email: 'kim@example.com', name: 'Kim', password: 'correct horse battery staple' });
    expect(refused.status).toBe(400);
    expect(alertText(refused)).toMatch(/^Ihr Browser konnte nicht geprüft werden\. Warten Sie, bis „Ihr Browser wird geprüft…“ abgeschlossen ist/);
  });
});

describe('password reset', () => {
  it('a refused new password in French (Accept-Language: fr): the hint and the reason', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const browser = new Browser(flow.server);
    const headers = { 'accept-language': 'fr-FR,fr;q=0.9' };
    const forgot = await browser.open('/forgot-password', { headers });
    const empty = await submitWith(browser, forgot, { email: '' }, headers);
    expect(alertText(empty)).toBe('Saisissez l’adresse e-mail de votre compte.');
    await submitWith(browser, forgot, { email: 'alice@example.com' }, headers);
    const { link } = await waitForEmail(flow.outbox, 'alice@example.com', 'password_reset');

    const form = await browser.open(link!, { headers });
    expect(htmlTagOf(form.body)).toBe('<html lang="fr" dir="ltr">');
    expect(textOf(form.body)).toContain('Au moins 8 caractères.');
    const weak = await submitWith(browser, form, { password: 'password' }, headers);
    expect(weak.status).toBe(400);
    expect(alertText(weak)).toBe('Ce mot de passe est trop facile à deviner. Quelques mots sans rapport entre eux font un mot de passe solide.');
    const short = await submitWith(browser, form, { password: 'abc' }, headers);
    expect(alertText(short)).toBe('Choisissez un mot de passe d’au moins 8 caractères.');
    const own = await submitWith(browser, form, { password: 'alice@example.com' }, headers);
    expect(alertText(own)).toBe('Ce mot de passe est trop facile à deviner\u00a0: il contient votre nom, votre nom d’utilisateur ou votre adresse e-mail.');
  });

  it('an expired reset link in Spanish (Accept-Language: es)', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const browser = new Browser(flow.server);
    const headers = { 'accept-language': 'es' };
    await submitWith(browser, await browser.open('/forgot-password', { headers }), { email: 'alice@example.com' }, headers);
    const { link } = await waitForEmail(flow.outbox, 'alice@example.com', 'password_reset');
    flow.clock.advance(31 * 60_000);

    const expired = await browser.open(link!, { headers });
    expect(expired.status).toBe(400);
    expect(htmlTagOf(expired.body)).toBe('<html lang="es" dir="ltr">');
    expect(expired.body).toContain('<h1>Este enlace ya no funciona</h1>');
    expect(textOf(expired.body)).toContain('Enviarme un enlace nuevo');
  });

  it('the second-factor step of a reset, in Spanish: what it is for', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    await giveTotp(factorContext(flow.server.store, flow.server.clock, SECRET), flow.users.alice.record.id);
    const browser = new Browser(flow.server);
    const headers = { 'accept-language': 'es' };
    await submitWith(browser, await browser.open('/forgot-password', { headers }), { email: 'alice@example.com' }, headers);
    const { link } = await waitForEmail(flow.outbox, 'alice@example.com', 'password_reset');
    const challenge = await browser.open(link!, { headers });
    expect(htmlTagOf(challenge.body)).toBe('<html lang="es" dir="ltr">');
    expect(challenge.body).toContain('<p class="lead">Antes de elegir una contraseña nueva, confirma que eres tú.</p>');
  });
});

describe('the flows’ error pages', () => {
  it('an invitation link that no longer works, in Arabic, right to left', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const page = await flow.server.get('/invitation?token=not-a-real-token', { headers: { 'accept-language': 'ar' } });
    const body = await page.text();
    expect(page.status).toBe(410);
    expect(htmlTagOf(body)).toBe('<html lang="ar" dir="rtl">');
    expect(body).toContain('<h1>رابط الدعوة هذا لم يعد يعمل</h1>');
    expect(textOf(body)).toContain('سبق استخدامه، أو انتهت صلاحيته، أو سُحبت الدعوة.');
  });

  it('an invitation’s refused password and name, in Arabic', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    await inviteUser(invitationContext(flow.server, flow.outbox), { email: 'hedy@example.com' }, { requireEmail: true });
    const { link } = await waitForEmail(flow.outbox, 'hedy@example.com', 'invitation');
    const browser = new Browser(flow.server);
    const headers = { 'accept-language': 'ar' };
    const form = await browser.open(link!, { headers });
    expect(form.body).toContain('<span class="optional">(اختياري)</span>');
    const weak = await submitWith(browser, form, { name: 'Hedy', password: 'password' }, headers);
    expect(htmlTagOf(weak.body)).toBe('<html lang="ar" dir="rtl">');
    expect(weak.body).toContain('يسهل تخمين كلمة المرور هذه.');
    const longName = await submitWith(browser, form, { name: 'x'.repeat(101), password: 'correct horse battery staple' }, headers);
    expect(longName.body).toContain('أدخل اسمًا لا يزيد على');
  });

  it('sign-up turned off, a dead sign-in link, account emails off: keyed pages in the browser’s language', async () => {
    const flow = await startOutboxFlow({ clock: new FakeClock(T0), accounts: { passwordless: 'email' } });
    const off = await new Browser(flow.server).open('/signup', { headers: { 'accept-language': 'ja' } });
    expect(off.status).toBe(404);
    expect(off.body).toContain('<h1>ページが見つかりません</h1>');
    const link = await new Browser(flow.server).open('/email-sign-in?token=gone', { headers: { 'accept-language': 'pt-BR' } });
    expect(link.status).toBe(400);
    expect(link.body).toContain('<h1>Este link de login não funciona mais</h1>');

    const noEmails = await startOutboxFlow({ clock: new FakeClock(T0), mfa: { senders: { email: undefined } } });
    const forgot = await new Browser(noEmails.server).open('/forgot-password', { headers: { 'accept-language': 'de' } });
    expect(forgot.status).toBe(404);
    expect(forgot.body).toContain('<h1>Nicht verfügbar</h1>');
    expect(textOf(forgot.body)).toContain('Dieser Dienst versendet keine E-Mails zu Konten.');
  });
});
