/**
 * Issue 21: the device flow, the home page, the error pages and sign-out in the user's language,
 * through the fetch handler: the device pages by the switcher's choice (and the device's sign-in
 * by its request's `ui_locales`), the home page right to left in Arabic, refusals (CSRF, an
 * upstream provider's, an invalid authorization request) in the request's language, and
 * RP-initiated logout by its `ui_locales` (RP-Initiated Logout 1.0 §2).
 */
import { describe, expect, it } from 'vitest';
import { github } from '../../src/client/index.js';
import { registerDeviceClient, startDevice } from '../helpers/device.js';
import { authorize, authorizeParams, authorizeUrl, Browser, expectPage, findForm, pkce, startFlow, submitLogin, type Page } from '../helpers/flow.js';
import { htmlTagOf, wordsOf } from '../helpers/mfa.js';

/** Picks `lang` with the language switcher of `page`: the browser keeps the choice in a cookie. */
async function chooseLanguage(browser: Browser, page: Page, lang: string): Promise<Page> {
  const form = findForm(page, '/language');
  return browser.open(new URL(form.action, page.url).href, { form: { ...form.fields, lang } });
}

describe('the device flow in German', () => {
  it('the switcher’s choice: the code page (the code still filled in), the sign-in, and the done page are German', async () => {
    const flow = await startFlow();
    const client = await registerDeviceClient(flow.server);
    const device = await startDevice(flow.server, client);

    const english = await flow.browser.open(device.verification_uri_complete);
    expect(htmlTagOf(english.body)).toBe('<html lang="en" dir="ltr">');
    const entry = await chooseLanguage(flow.browser, english, 'de');
    expect(entry.url).toBe(device.verification_uri_complete);
    expect(htmlTagOf(entry.body)).toBe('<html lang="de" dir="ltr">');
    expect(entry.body).toContain('<h1>Gerät verbinden</h1>');
    expect(wordsOf(entry.body)).toContain('Prüfen Sie, ob dieser Code mit dem auf Ihrem Gerät übereinstimmt');
    expect(findForm(entry, '/device').fields.user_code).toBe(device.user_code);
    expect(entry.body).toMatch(/<button type="submit" class="button button-primary submit">Weiter<\/button>/);

    const login = expectPage(await flow.browser.submit(entry, {}, { actionPart: '/device' }), 'login');
    expect(htmlTagOf(login.body)).toBe('<html lang="de" dir="ltr">');
    const consent = expectPage(await submitLogin(flow.browser, login, flow.users.alice), 'consent');
    expect(htmlTagOf(consent.body)).toBe('<html lang="de" dir="ltr">');

    const done = await flow.browser.submit(consent, {}, { button: 'approve' });
    expect(done.status).toBe(200);
    expect(htmlTagOf(done.body)).toBe('<html lang="de" dir="ltr">');
    expect(done.body).toContain('<h1>Gerät verbunden</h1>');
    expect(wordsOf(done.body)).toContain('Living Room TV ist jetzt bei Ihrem Konto angemeldet.');
  });

  it('Accept-Language: de: a code that is not one, and a wrong code, are refused in German', async () => {
    const flow = await startFlow();
    const german = { headers: { 'accept-language': 'de' } };
    const entry = await flow.browser.open('/device', german);
    expect(entry.body).toContain('Er besteht aus 8 Buchstaben');
    const form = findForm(entry, '/device');
    const notACode = await flow.browser.open(new URL(form.action, entry.url).href, { ...german, form: { ...form.fields, user_code: 'x' } });
    expect(notACode.status).toBe(400);
    expect(htmlTagOf(notACode.body)).toBe('<html lang="de" dir="ltr">');
    expect(wordsOf(notACode.body)).toContain('Geben Sie den 8-stelligen Code ein, den Ihr Gerät anzeigt.');
    // The page answers a POST: no switcher.
    expect(notACode.body).not.toContain('name="return_to"');
    const wrong = await flow.browser.open(new URL(form.action, entry.url).href, { ...german, form: { ...form.fields, user_code: 'BCDF-GHJK' } });
    expect(wrong.status).toBe(400);
    expect(wordsOf(wrong.body)).toContain('Dieser Code ist ungültig.');
  });

  it('the device’s ui_locales=ja: the sign-in pages after the code are Japanese, the code page follows the browser', async () => {
    const flow = await startFlow();
    const client = await registerDeviceClient(flow.server);
    const device = await startDevice(flow.server, client, { ui_locales: 'ja' });
    const entry = await flow.browser.open(device.verification_uri_complete, { headers: { 'accept-language': 'fr' } });
    expect(htmlTagOf(entry.body)).toBe('<html lang="fr" dir="ltr">');
    const login = expectPage(await flow.browser.submit(entry, {}, { actionPart: '/device' }), 'login');
    expect(htmlTagOf(login.body)).toBe('<html lang="ja" dir="ltr">');
    const consent = expectPage(await submitLogin(flow.browser, login, flow.users.alice), 'consent');
    const done = await flow.browser.submit(consent, {}, { button: 'deny' });
    expect(htmlTagOf(done.body)).toBe('<html lang="ja" dir="ltr">');
    expect(done.body).toContain('<h1>デバイスは接続されていません</h1>');
  });
});

describe('the home page in Arabic', () => {
  it('Accept-Language: ar: right to left, in Arabic, with the switcher back to the home page', async () => {
    const flow = await startFlow();
    const home = await flow.browser.open('/', { headers: { 'accept-language': 'ar' } });
    expect(home.status).toBe(200);
    expect(htmlTagOf(home.body)).toBe('<html lang="ar" dir="rtl">');
    expect(home.body).toContain('<h1><span class="nowrap">خدمة تسجيل الدخول</span> في Gatehouse</h1>');
    expect(wordsOf(home.body)).toContain('تسجيل الدخول إلى حسابك');
    expect(home.body).toMatch(/<h2 id="developers-heading" class="section-title">للمطوّرين<\/h2>/);
    expect(findForm(home, '/language').fields.return_to).toBe('/');
  });
});

describe('refusals in the request’s language', () => {
  it('a sign-in form without its CSRF token: the 403 page in the language of ui_locales=de', async () => {
    const flow = await startFlow();
    const params = authorizeParams(flow.client, pkce().challenge, { ui_locales: 'de' });
    const login = expectPage(await flow.browser.open(authorizeUrl(flow.server, params)), 'login');
    const refused = await flow.browser.submit(login, { username: 'alice', password: 'x', csrf: 'forged' }, { actionPart: '/login' });
    expect(refused.status).toBe(403);
    expect(htmlTagOf(refused.body)).toBe('<html lang="de" dir="ltr">');
    expect(refused.body).toContain('<h1>Anfrage nicht angenommen</h1>');
    expect(wordsOf(refused.body)).toContain('Das Formular wurde nicht angenommen');
  });

  it('an upstream provider’s cancel: the page in French (Accept-Language)', async () => {
    const flow = await startFlow({
      upstreams: [{ id: 'github', label: 'GitHub', provider: github({ baseUrl: 'https://github.invalid' }), clientId: 'gh-client', clientSecret: 'gh-secret' }],
    });
    const login = expectPage(await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge))), 'login');
    const away = await flow.browser.submit(login, {}, { actionPart: '/upstream/github' });
    const state = away.location!.searchParams.get('state')!;
    const callback = `/upstream/github/callback?${new URLSearchParams({ error: 'access_denied', state })}`;
    const page = await flow.browser.open(callback, { headers: { 'accept-language': 'fr-FR,fr;q=0.9' } });
    expect(page.status).toBe(400);
    expect(htmlTagOf(page.body)).toBe('<html lang="fr" dir="ltr">');
    expect(page.body).toContain('<h1>Connexion non terminée</h1>');
    expect(wordsOf(page.body)).toContain('La connexion avec GitHub a été annulée. Retournez dans l’application et réessayez.');
  });

  it('an invalid authorization request: the page in the language of its ui_locales, before Accept-Language', async () => {
    const flow = await startFlow();
    const params = authorizeParams(flow.client, pkce().challenge, { redirect_uri: 'https://evil.example/cb', ui_locales: 'es de' });
    const page = await flow.browser.open(authorizeUrl(flow.server, params), { headers: { 'accept-language': 'fr' } });
    expect(page.status).toBe(400);
    expect(htmlTagOf(page.body)).toBe('<html lang="es" dir="ltr">');
    expect(page.body).toContain('<h1>Solicitud de inicio de sesión no válida</h1>');
    expect(wordsOf(page.body)).toContain('La aplicación envió una solicitud de inicio de sesión no válida.');
  });
});

describe('RP-initiated logout with ui_locales=ja', () => {
  it('the sign-out question, then the signed-out page, are Japanese', async () => {
    const flow = await startFlow();
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    const question = await flow.browser.open(`/logout?${new URLSearchParams({ client_id: flow.client.clientId, ui_locales: 'ja' })}`, {
      headers: { 'accept-language': 'de' },
    });
    expect(htmlTagOf(question.body)).toBe('<html lang="ja" dir="ltr">');
    expect(wordsOf(question.body)).toContain('Gatehouseからログアウトしますか？');
    expect(findForm(question, '/logout/confirm').fields.ui_locales).toBe('ja');

    const signedOut = await flow.browser.submit(question, {}, { actionPart: '/logout/confirm', button: 'logout' });
    expect(htmlTagOf(signedOut.body)).toBe('<html lang="ja" dir="ltr">');
    expect(signedOut.body).toContain('<h1>ログアウトしました</h1>');
  });

  it('staying signed in, a forged confirmation and a refused request are answered in Japanese', async () => {
    const flow = await startFlow();
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    const question = await flow.browser.open('/logout?ui_locales=ja');
    const stay = await flow.browser.submit(question, {}, { actionPart: '/logout/confirm', button: 'stay' });
    expect(htmlTagOf(stay.body)).toBe('<html lang="ja" dir="ltr">');
    expect(stay.body).toContain('<h1>ログインしたままです</h1>');

    const forged = await flow.browser.submit(question, { csrf: 'forged' }, { actionPart: '/logout/confirm', button: 'logout' });
    expect(forged.status).toBe(403);
    expect(htmlTagOf(forged.body)).toBe('<html lang="ja" dir="ltr">');
    expect(wordsOf(forged.body)).toContain('ログアウトのフォームを受け付けられませんでした。');

    const refused = await flow.browser.open(`/logout?${new URLSearchParams({ client_id: 'nobody', ui_locales: 'ja' })}`);
    expect(refused.status).toBe(400);
    expect(htmlTagOf(refused.body)).toBe('<html lang="ja" dir="ltr">');
    expect(refused.body).toContain('<h1>無効なログアウトリクエスト</h1>');
    expect(wordsOf(refused.body)).toContain('このアプリは登録されていません。');
  });
});
