/**
 * Issue 21: the admin console in the reader's language, through the fetch handler: the dashboard
 * (its counts, ranges and charts) and the users list in German, a user's page in Arabic, right to
 * left, a notice and a confirmation page in French, and the console's keyed error pages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeOutboxFlows, settle } from '../helpers/accounts.js';
import { consoleFlow, csrfOf, signInToConsole } from '../helpers/admin-console.js';
import { Browser, findForm, submitLogin } from '../helpers/flow.js';
import { htmlTagOf, wordsOf } from '../helpers/mfa.js';

afterEach(closeOutboxFlows);

const german = { headers: { 'accept-language': 'de-DE,de;q=0.9' } };
const arabic = { headers: { 'accept-language': 'ar' } };

describe('the admin console in German', () => {
  it('the dashboard: nav, counts, ranges and charts in German, with the switcher back to itself', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const other = new Browser(flow.server);
    await submitLogin(other, await other.open('/account'), flow.users.bob);
    await settle();
    // The charts end at "now", exclusive: the fake clock stands still, so move it past the sign-in.
    flow.clock.advance(1000);
    const page = await browser.open('/admin?range=hour', german);
    expect(page.status).toBe(200);
    expect(htmlTagOf(page.body)).toBe('<html lang="de" dir="ltr">');
    expect(page.body).toContain('<h1>Übersicht</h1>');
    expect(page.body).toContain('<nav class="admin-nav" aria-label="Admin-Konsole">');
    expect(page.body).toContain('aria-current="page">Übersicht</a>');
    expect(page.body).toContain('>Signaturschlüssel</a>');
    expect(page.body).toContain('Angemeldet als <strong>alice@example.com</strong>');
    expect(page.body).toContain('<div class="stat"><dt>Benutzer</dt><dd>2</dd></div>');
    expect(page.body).toContain('<p class="section-lead">Die letzte Stunde, in 5-Minuten-Schritten (UTC).</p>');
    expect(page.body).toContain('aria-current="true">Letzte Stunde</a>');
    expect(page.body).toContain('<title id="signIns-title">Anmeldungen</title>');
    expect(page.body).toMatch(/<desc id="signIns-desc">\d+ in diesem Zeitraum; die meisten, \d+, um \d\d:\d\d\.<\/desc>/);
    expect(page.body).toContain('<desc id="failures-desc">Keine in diesem Zeitraum.</desc>');
    expect(page.body).toContain('<th scope="col">Anzahl</th>');
    expect(page.body).toContain('<input type="hidden" name="return_to" value="/admin?range=hour">');
    expect(wordsOf(page.body)).not.toMatch(/\b(Dashboard|Activity|Signed in as|Sign-ins|Last hour)\b/);
  });

  it('the users list: headings, badges, dates, search and its empty result in German', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const page = await browser.open('/admin/users', german);
    expect(htmlTagOf(page.body)).toBe('<html lang="de" dir="ltr">');
    expect(page.body).toContain('<h1>Benutzer</h1>');
    expect(page.body).toContain('<label for="q">Benutzer nach Benutzername, E-Mail-Adresse oder ID suchen <span class="optional">(optional)</span></label>');
    expect(page.body).toMatch(/<th scope="col">Benutzer<\/th><th scope="col">E-Mail-Adresse<\/th><th scope="col">Status<\/th><th scope="col">Erstellt<\/th>/);
    expect(page.body).toContain('<span class="badge badge-on">aktiv</span><span class="badge">Admin</span>');
    const created = new Intl.DateTimeFormat('de', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
      flow.users.alice.record.createdAt,
    );
    expect(page.body).toContain(`<td>${created}</td>`);
    expect(wordsOf(page.body)).toContain('Suchen');

    const none = await browser.open('/admin/users?q=nobody', german);
    expect(none.body).toContain('Kein Benutzer hat diesen Benutzernamen, diese E-Mail-Adresse oder diese ID.');
    expect(wordsOf(none.body)).toContain('Alle anzeigen');
  });
});

describe('the admin console in Arabic, right to left', () => {
  it('a user’s page: dir="rtl", its facts, sections and buttons in Arabic', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const page = await browser.open(`/admin/users/${flow.users.bob.record.id}`, arabic);
    expect(page.status).toBe(200);
    expect(htmlTagOf(page.body)).toBe('<html lang="ar" dir="rtl">');
    expect(page.body).toContain('<h1>bob</h1>');
    expect(page.body).toContain('<nav class="admin-nav" aria-label="لوحة الإدارة">');
    expect(page.body).toContain('<p class="back-link"><a href="/admin/users">كل المستخدمين</a></p>');
    expect(page.body).toContain('<dt>العوامل الثانية</dt><dd>0</dd>');
    expect(page.body).toContain('<dd id="sign-in-state">غير مقيَّد: لم تُحتسب أي محاولة فاشلة لتسجيل الدخول.</dd>');
    expect(page.body).toContain('<h2 id="sessions-title">الجلسات</h2>');
    expect(wordsOf(page.body)).toContain('إلغاء قفل تسجيل الدخول');
    expect(wordsOf(page.body)).toContain('تسجيل الخروج من كل مكان');
    // The console's own rules are logical: nothing placed left or right.
    expect(/<style[^>]*>([\s\S]*?)<\/style>/.exec(page.body)?.[1]).not.toMatch(/\b(left|right)\b/);
  });
});

describe('notices, confirmations and refusals in the reader’s language', () => {
  it('French picked with the switcher: the page comes back French, then the confirmation page and the notice after the action', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const english = await browser.open(`/admin/users/${flow.users.bob.record.id}`);
    const switcher = findForm(english, '/language');
    expect(switcher.fields.return_to).toBe(`/admin/users/${flow.users.bob.record.id}`);
    const user = await browser.open(new URL(switcher.action, english.url).href, { form: { ...switcher.fields, lang: 'fr' } });
    expect(htmlTagOf(user.body)).toBe('<html lang="fr" dir="ltr">');
    expect(user.body).toContain('<h2 id="access-title">Accès</h2>');

    const confirm = await browser.submit(user, {}, { actionPart: '/sessions/revoke' });
    expect(confirm.body).toContain('<h1>Déconnecter bob partout ?</h1>');
    expect(confirm.body).toContain('<p class="lead">Voici ce qui va se passer :</p>');
    expect(confirm.body).not.toContain('name="return_to"'); // the answer to a post offers no switcher
    const done = await browser.submit(confirm, {}, { actionPart: '/sessions/revoke' });
    expect(done.body).toContain('Déconnecté partout : ses sessions et ses jetons ont pris fin.');
  });

  it('a refusal of the register form, in German', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const form = await browser.open('/admin/clients/new', german);
    expect(form.body).toContain('<h1>Client registrieren</h1>');
    const refused = await browser.open('/admin/clients/new', { method: 'POST', form: { csrf: csrfOf(form), name: '', type: 'confidential' }, ...german });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Geben Sie dem Client einen Namen mit 1 bis 200 Zeichen.');
  });
});

describe('the console’s error pages are keyed', () => {
  it('a record that does not exist: the 404 page in German', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const page = await browser.open('/admin/users/nobody', german);
    expect(page.status).toBe(404);
    expect(htmlTagOf(page.body)).toBe('<html lang="de" dir="ltr">');
    expect(page.body).toContain('<h1>Nicht gefunden</h1>');
    expect(wordsOf(page.body)).toContain('Diesen Eintrag gibt es nicht. Möglicherweise wurde er gelöscht.');
  });

  it('no admin role: the 403 page in Arabic', async () => {
    const flow = await consoleFlow();
    const browser = new Browser(flow.server);
    await submitLogin(browser, await browser.open('/account'), flow.users.bob);
    const page = await browser.open('/admin', arabic);
    expect(page.status).toBe(403);
    expect(htmlTagOf(page.body)).toBe('<html lang="ar" dir="rtl">');
    expect(page.body).toContain('<h1>غير مسموح</h1>');
    expect(wordsOf(page.body)).toContain('لوحة الإدارة مخصصة للمسؤولين فقط.');
  });
});
