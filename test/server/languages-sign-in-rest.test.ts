/**
 * Issue 21: the rest of the sign-in path in the user's language, through the fetch handler: the
 * account chooser and the form_post page in the language of `ui_locales`, the sign-out pages by
 * `Accept-Language`, the lockout page (and its times) by the switcher's choice.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorize, authorizeParams, authorizeUrl, Browser, expectPage, findForm, pageKind, pkce, startFlow, submitLogin } from '../helpers/flow.js';
import { htmlTagOf, wordsOf } from '../helpers/mfa.js';

describe('the rest of the sign-in path in German', () => {
  it('ui_locales=de: the account chooser, then the form_post page, are German', async () => {
    const flow = await startFlow();
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    const params = authorizeParams(flow.client, pkce().challenge, { prompt: 'select_account', ui_locales: 'de', response_mode: 'form_post' });
    const chooser = expectPage(await flow.browser.open(authorizeUrl(flow.server, params)), 'select-account');
    expect(htmlTagOf(chooser.body)).toBe('<html lang="de" dir="ltr">');
    expect(chooser.body).toContain('<h1>Konto auswählen</h1>');
    expect(wordsOf(chooser.body)).toContain('Weiter als');
    expect(wordsOf(chooser.body)).toContain('Anderes Konto verwenden');

    let next = await flow.browser.submit(chooser, {}, { button: 'current' });
    if (pageKind(next) === 'consent') next = await flow.browser.submit(next, {}, { button: 'approve' });
    expect(findForm(next).action).toBe(params.redirect_uri);
    expect(htmlTagOf(next.body)).toBe('<html lang="de" dir="ltr">');
    expect(next.body).toContain(
      '<noscript><p>JavaScript ist deaktiviert. Klicken Sie auf „Weiter“, um zur Anwendung zurückzukehren.</p><button type="submit">Weiter</button></noscript>',
    );
  });

  it('Accept-Language: de: the sign-out question and the signed-out page are German', async () => {
    const flow = await startFlow();
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    const confirm = await flow.browser.open('/logout', { headers: { 'accept-language': 'de-DE,de;q=0.9' } });
    expect(htmlTagOf(confirm.body)).toBe('<html lang="de" dir="ltr">');
    expect(wordsOf(confirm.body)).toContain('Von Gatehouse abmelden?');
    expect(confirm.body).toMatch(/>Angemeldet bleiben<\/button>.*>Abmelden<\/button>/);

    const signedOut = await new Browser(flow.server).open('/logout', { headers: { 'accept-language': 'de' } });
    expect(htmlTagOf(signedOut.body)).toBe('<html lang="de" dir="ltr">');
    expect(signedOut.body).toContain('<h1>Sie sind abgemeldet</h1>');
  });

  it('the switcher’s choice: the lockout page, its time and duration, are German', async () => {
    const flow = await startFlow({
      clock: new FakeClock(Date.UTC(2025, 2, 12, 14, 20, 30)),
      protection: { rateLimits: { signInPerAccountIp: { points: 2, seconds: 900, lockoutSeconds: 900 } } },
    });
    const english = expectPage(await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge))), 'login');
    const form = findForm(english, '/language');
    const login = expectPage(await flow.browser.open(new URL(form.action, english.url).href, { form: { ...form.fields, lang: 'de' } }), 'login');
    for (let i = 0; i < 2; i += 1) expect((await submitLogin(flow.browser, login, flow.users.alice, `wrong-${i}`)).status).toBe(401);

    const locked = await submitLogin(flow.browser, login, flow.users.alice, 'wrong-again');
    expect(locked.status).toBe(429);
    expect(htmlTagOf(locked.body)).toBe('<html lang="de" dir="ltr">');
    expect(locked.body).toContain('<h1>Zu viele Versuche</h1>');
    expect(wordsOf(locked.body)).toContain('Sie können es ab 14:36 UTC erneut versuchen, in etwa 15 Minuten.');
    expect(locked.body).toContain('title="12. März 2025, 14:36 UTC"');
    expect(wordsOf(locked.body)).toContain('Anderes Konto verwenden');
  });
});
