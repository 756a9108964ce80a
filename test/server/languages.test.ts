/**
 * The pages' language through the server (docs/languages.md): `ui_locales` of the sign-in request
 * first, for every page of that sign-in, then the switcher's cookie, then `Accept-Language`, then
 * `languages.default`; `lang`/`dir` on `<html>`; `ui_locales_supported` in discovery.
 */
import { describe, expect, it } from 'vitest';
import { authorizeParams, authorizeUrl, Browser, expectPage, findForm, pkce, startFlow, submitLogin, type Flow, type Page } from '../helpers/flow.js';
import { htmlTagOf } from '../helpers/mfa.js';

const flow: Promise<Flow> = startFlow();

function openLogin(f: Flow, browser: Browser, overrides: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Page> {
  return browser.open(authorizeUrl(f.server, authorizeParams(f.client, pkce().challenge, overrides)), { headers });
}

/** Picks `lang` with the page's language switcher, as a user would (a plain form post). */
function switchTo(browser: Browser, page: Page, lang: string, headers: Record<string, string> = {}): Promise<Page> {
  const form = findForm(page, '/language');
  return browser.open(new URL(form.action, page.url).href, { method: 'POST', form: { ...form.fields, lang }, headers });
}

describe('the language of the sign-in pages', () => {
  it('ui_locales=de: the German login page, lang="de", and its later pages stay German', async () => {
    const f = await flow;
    const browser = new Browser(f.server);
    const login = expectPage(await openLogin(f, browser, { ui_locales: 'xx de-CH en' }, { 'accept-language': 'fr' }), 'login');
    expect(htmlTagOf(login.body)).toBe('<html lang="de" dir="ltr">');
    expect(login.body).toContain('<h1>Anmelden</h1>');
    expect(login.body).toContain('>Benutzername oder E-Mail-Adresse</label>');
    // The failed attempt is a later page of the same sign-in: still German, ui_locales carried on the interaction.
    const failed = await submitLogin(browser, login, f.users.alice, 'wrong-password');
    expect(htmlTagOf(failed.body)).toBe('<html lang="de" dir="ltr">');
    expect(failed.body).toContain('Benutzername oder Passwort ist falsch.');
    const consent = expectPage(await submitLogin(browser, failed, f.users.alice), 'consent');
    expect(htmlTagOf(consent.body)).toBe('<html lang="de" dir="ltr">');
    expect(consent.body).toContain('>Erlauben</button>');
  });

  it('Accept-Language: ar gives the Arabic page, right to left', async () => {
    const f = await flow;
    const page = expectPage(await openLogin(f, new Browser(f.server), {}, { 'accept-language': 'ar-EG,ar;q=0.9,en;q=0.5' }), 'login');
    expect(htmlTagOf(page.body)).toBe('<html lang="ar" dir="rtl">');
    expect(page.body).toContain('<h1>تسجيل الدخول</h1>');
  });

  it('the switcher remembers a choice that wins over Accept-Language, but not over ui_locales', async () => {
    const f = await flow;
    const browser = new Browser(f.server);
    const french = expectPage(await openLogin(f, browser, {}, { 'accept-language': 'fr' }), 'login');
    expect(htmlTagOf(french.body)).toBe('<html lang="fr" dir="ltr">');
    // Back to the same page (a 303 to its own path), now in Japanese.
    const switched = await switchTo(browser, french, 'ja', { 'accept-language': 'fr' });
    expect(switched.url).toBe(french.url);
    expect(htmlTagOf(switched.body)).toBe('<html lang="ja" dir="ltr">');
    expect(browser.setCookies.at(-1)).toMatch(/^gatehouse_lang=ja; Path=\/; HttpOnly; SameSite=Lax; Max-Age=31536000$/);
    const again = await openLogin(f, browser, {}, { 'accept-language': 'fr' });
    expect(htmlTagOf(again.body)).toBe('<html lang="ja" dir="ltr">');
    const requested = await openLogin(f, browser, { ui_locales: 'es' }, { 'accept-language': 'fr' });
    expect(htmlTagOf(requested.body)).toBe('<html lang="es" dir="ltr">');
  });

  it('the switcher goes back only to a path of this server, and ignores a language not offered', async () => {
    const f = await flow;
    const post = (form: Record<string, string>) =>
      f.server.server.fetch(
        new Request(`${f.server.issuer}/language`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form).toString(),
        }),
      );
    for (const returnTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const response = await post({ lang: 'de', return_to: returnTo });
      expect(response.status).toBe(303);
      expect(new URL(response.headers.get('location')!).origin).toBe(new URL(f.server.issuer).origin);
    }
    const unknown = await post({ lang: 'tlh', return_to: '/account' });
    expect(unknown.status).toBe(303);
    expect(unknown.headers.get('set-cookie')).toBeNull();
  });

  it('without any hint the default language; an error page before the interaction follows Accept-Language', async () => {
    const f = await flow;
    const browser = new Browser(f.server);
    expect(htmlTagOf((await openLogin(f, browser)).body)).toBe('<html lang="en" dir="ltr">');
    const refused = await browser.open(authorizeUrl(f.server, authorizeParams({ ...f.client, clientId: 'nope' }, pkce().challenge)), {
      headers: { 'accept-language': 'pt-PT' },
    });
    expect(refused.status).toBe(400);
    expect(htmlTagOf(refused.body)).toBe('<html lang="pt-BR" dir="ltr">');
    expect(refused.body).toContain('Solicitação de login inválida');
  });

  it('discovery lists the languages in ui_locales_supported', async () => {
    const f = await flow;
    const metadata = (await (await f.server.server.fetch(new Request(`${f.server.issuer}/.well-known/openid-configuration`))).json()) as Record<
      string,
      unknown
    >;
    expect(metadata.ui_locales_supported).toEqual(['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'ar']);
  });
});
