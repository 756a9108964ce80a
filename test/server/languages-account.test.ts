/**
 * Issue 21: the account area in the user's language, through the fetch handler: the account page
 * by `Accept-Language` and by the switcher's choice (its dates as the language writes them), a
 * change page, its notices and refusals, the authenticator-app set-up started there, its error
 * pages, and Arabic right to left.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeOutboxFlows, postAccountForm, startOutboxFlow } from '../helpers/accounts.js';
import { Browser, findForm, signIn, type Page } from '../helpers/flow.js';
import { factorContext, giveTotp, htmlTagOf, isAccountPage, openAccount, wordsOf } from '../helpers/mfa.js';

afterEach(closeOutboxFlows);

const h2s = (body: string) => [...body.matchAll(/<h2 id="[^"]+">([^<]+)<\/h2>/g)].map((match) => match[1]);

const GERMAN = { 'accept-language': 'de-DE,de;q=0.9' };

/** Alice, signed in at the client (allowing it) and, two hours later, on her account page in English. */
async function aliceOnHerAccount() {
  const flow = await startOutboxFlow();
  const { server, users, client, clock } = flow;
  await signIn(new Browser(server), server, client, users.alice);
  clock.advance(2 * 3_600_000);
  const browser = new Browser(server);
  const english = await openAccount(browser, users.alice);
  expect(isAccountPage(english)).toBe(true);
  return { ...flow, browser, english };
}

describe('the account area in German', () => {
  it('Accept-Language: de: the account page, its sections, methods and dates are German', async () => {
    const { server, users, clock, browser } = await aliceOnHerAccount();
    await giveTotp(factorContext(server.store, clock), users.alice.record.id);
    const page = await browser.open('/account', { headers: GERMAN });
    expect(page.status).toBe(200);
    expect(htmlTagOf(page.body)).toBe('<html lang="de" dir="ltr">');
    expect(page.body).toContain('<h1>Ihr Konto</h1>');
    expect(h2s(page.body)).toEqual([
      'Profil',
      'E-Mail-Adresse',
      'Passwort',
      'Bestätigung in zwei Schritten',
      'Verbundene Anwendungen',
      'Sitzungen',
      'Letzte Anmeldungen',
      'Ihre Daten herunterladen',
      'Konto löschen',
    ]);
    const text = wordsOf(page.body);
    // The factor (unnamed: called by its kind) and its dates, the application's (allowed at the start), the sessions' times.
    expect(text).toContain('Authenticator-App Hinzugefügt am 1. Januar 2025 · Zuletzt verwendet: gerade eben Entfernen: Authenticator-App');
    expect(text).toContain('seit 1. Januar 2025');
    expect(text).toContain('Angemeldet: gerade eben · Passwort');
    expect(text).toContain('Angemeldet: vor 2 Stunden · Passwort');
    expect(page.body).toContain('title="1. Januar 2025, 02:00 UTC"');
    expect(text).toContain('Andere Sitzung abmelden');
    expect(text).toContain('gerade eben Passwort bei Kontoseite Angemeldet');
    expect(text).toMatch(/Noch nicht erstellt\. Erstellen Sie einen Satz/);
    // The switcher comes back to the account page.
    expect(findForm(page, '/language').fields.return_to).toBe('/account');
    expect(text).not.toMatch(/Your account|Sign out|Recovery codes|Sessions/);
  });

  it('the switcher’s choice: the page, a notice, a refusal, a change page and the app set-up are German', async () => {
    const { browser, english, users } = await aliceOnHerAccount();
    const form = findForm(english, '/language');
    const page = await browser.open(new URL(form.action, english.url).href, { form: { ...form.fields, lang: 'de' } });
    expect(htmlTagOf(page.body)).toBe('<html lang="de" dir="ltr">');
    expect(page.body).toContain('<h1>Ihr Konto</h1>');

    // A notice after an action, and a refusal (the account page again, answering the post: no switcher).
    const saved = await postAccountForm(browser, page, '/account/profile', { name: 'Alice L.' });
    expect(wordsOf(saved.body)).toContain('Profil gespeichert.');
    const refused = await postAccountForm(browser, saved, '/account/password', { current_password: 'not-it', new_password: 'a-new-pass-phrase-9' });
    expect(refused.status).toBe(400);
    expect(htmlTagOf(refused.body)).toBe('<html lang="de" dir="ltr">');
    expect(wordsOf(refused.body)).toContain('Ihr aktuelles Passwort ist nicht richtig.');
    expect(refused.body).not.toContain('action="/language"');
    const badField = await postAccountForm(browser, refused, '/account/profile', { locale: 'english please' });
    expect(badField.status).toBe(400);
    expect(wordsOf(badField.body)).toContain('Einige Angaben müssen korrigiert werden.');
    expect(badField.body).toContain('<p class="field-error" id="profile-locale-error">Geben Sie einen Sprachcode wie de, de-DE oder pt-BR ein.</p>');

    // A change page, and a refusal on it.
    const deletePage = await browser.open('/account/delete');
    expect(htmlTagOf(deletePage.body)).toBe('<html lang="de" dir="ltr">');
    expect(deletePage.body).toContain('<h1>Ihr Konto löschen?</h1>');
    expect(wordsOf(deletePage.body)).toContain('Geben Sie DELETE oder Ihre E-Mail-Adresse ein.');
    const wrong = await postAccountForm(browser, deletePage, '/account/delete', { confirm: 'nope', current_password: users.alice.password });
    expect(wrong.status).toBe(400);
    expect(wordsOf(wrong.body)).toContain('Geben Sie zur Bestätigung DELETE (oder Ihre E-Mail-Adresse) ein.');

    const emailCode = await browser.open('/account/email/confirm');
    expect(emailCode.body).toContain('<h1>Neue E-Mail-Adresse bestätigen</h1>');
    expect(wordsOf(emailCode.body)).toContain('Zurück zu Ihrem Konto');

    // The authenticator-app set-up started from the account page follows the page's language.
    const setUp = await postAccountForm(browser, saved, '/account/totp', {});
    expect(htmlTagOf(setUp.body)).toBe('<html lang="de" dir="ltr">');
    expect(setUp.body).toContain('Bestätigung in zwei Schritten einrichten');
    const wrongCode = await postAccountForm(browser, setUp, '/account/totp/confirm', { code: '000000' });
    expect(wordsOf(wrongCode.body)).toContain('Dieser Code hat nicht funktioniert. Prüfen Sie die Uhrzeit auf Ihrem Gerät');
  });

  it('the account’s error pages are keyed: a used link and a refused form, in German', async () => {
    const { browser, english } = await aliceOnHerAccount();
    const link = await browser.open('/account/email/confirm?token=not-a-token', { headers: GERMAN });
    expect(link.status).toBe(400);
    expect(htmlTagOf(link.body)).toBe('<html lang="de" dir="ltr">');
    expect(link.body).toContain('Link funktioniert nicht mehr');
    expect(wordsOf(link.body)).toContain('Dieser Link ist abgelaufen oder wurde bereits verwendet.');

    const form = findForm(english, '/account/profile');
    const forged: Page = await browser.open(new URL(form.action, english.url).href, { form: { ...form.fields, csrf: 'forged' }, headers: GERMAN });
    expect(forged.status).toBe(403);
    expect(htmlTagOf(forged.body)).toBe('<html lang="de" dir="ltr">');
    expect(wordsOf(forged.body)).toContain('Das Formular wurde nicht angenommen. Gehen Sie zurück zu Ihrer Kontoseite');
  });
});

describe('the account area in Arabic', () => {
  it('is right to left, in Arabic, with the dates as Arabic writes them', async () => {
    const { browser } = await aliceOnHerAccount();
    const page = await browser.open('/account', { headers: { 'accept-language': 'ar' } });
    expect(htmlTagOf(page.body)).toBe('<html lang="ar" dir="rtl">');
    expect(page.body).toContain('<h1>حسابك</h1>');
    expect(h2s(page.body)).toContain('التحقق بخطوتين');
    expect(wordsOf(page.body)).toContain('منذ 1 يناير 2025');
    expect(wordsOf(page.body)).toContain('تسجيل الخروج من الجلسة الأخرى');
  });
});
