/**
 * The second-factor pages in the sign-in's language (issue 21, docs/languages.md): with
 * `ui_locales=de`, the authenticator-app set-up, its error, the recovery codes and, on the next
 * sign-in, the two-step verification page are German, with `lang="de"`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizeParams, authorizeUrl, Browser, pkce, startFlow, submitLogin, type Flow, type Page } from '../../../helpers/flow.js';
import { FakeClock, T0 } from '../../../helpers/fake-clock.js';
import { expectMfaChallenge, htmlTagOf, isMfaEnrolment, recoveryCodesOf, setupKey, textOf, totpAt, wrongTotpAt } from '../../../helpers/mfa.js';
import { parseForms } from '../../../helpers/user-agent.js';

let flow: Flow;
let clock: FakeClock;

beforeAll(async () => {
  clock = new FakeClock(T0 + 15_000);
  flow = await startFlow({ clock, mfa: { policy: 'required' } });
});

async function germanSignIn(browser: Browser): Promise<Page> {
  const login = await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, { ui_locales: 'de' })));
  return submitLogin(browser, login, flow.users.alice);
}

function enrolWith(browser: Browser, page: Page, code: string): Promise<Page> {
  const form = parseForms(page.body).find((candidate) => candidate.action.endsWith('/mfa-enroll'))!;
  return browser.open(new URL(form.action, page.url).href, { method: 'POST', form: { ...form.fields, code } });
}

describe('ui_locales=de: the second-factor pages in German', () => {
  it('set-up, a wrong code, the recovery codes, then two-step verification at the next sign-in', async () => {
    const browser = new Browser(flow.server);
    const setUp = await germanSignIn(browser);
    expect(isMfaEnrolment(setUp)).toBe(true);
    expect(htmlTagOf(setUp.body)).toBe('<html lang="de" dir="ltr">');
    expect(setUp.body).toContain('<h1 class="long">Bestätigung in <span class="nowrap">zwei Schritten</span> einrichten</h1>');
    const secret = setupKey(setUp.body);

    const wrong = await enrolWith(browser, setUp, await wrongTotpAt(secret, clock.now()));
    expect(wrong.status).toBe(401);
    expect(htmlTagOf(wrong.body)).toBe('<html lang="de" dir="ltr">');
    expect(textOf(wrong.body)).toContain('Dieser Code hat nicht funktioniert.');

    const codes = await enrolWith(browser, wrong, await totpAt(secret, clock.now()));
    expect(htmlTagOf(codes.body)).toBe('<html lang="de" dir="ltr">');
    expect(codes.body).toContain('<h1>Wiederherstellungscodes speichern</h1>');
    expect(codes.body).toContain('>Ich habe meine Codes gespeichert, weiter</button>');
    expect(recoveryCodesOf(codes.body)).toHaveLength(10);

    const challenge = expectMfaChallenge(await germanSignIn(new Browser(flow.server)));
    expect(htmlTagOf(challenge.body)).toBe('<html lang="de" dir="ltr">');
    expect(challenge.body).toContain('<h1>Bestätigung in zwei Schritten</h1>');
    expect(challenge.body).toContain('>Code aus Ihrer Authenticator-App</label>');
    expect(challenge.body).toContain('<summary>Wiederherstellungscode verwenden</summary>');
  });
});
