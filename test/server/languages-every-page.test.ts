/**
 * Issue 21: no page shows a word that is not from the catalogs. An operator's language file adds a
 * marked language, `en-XA`, in which every message is English wrapped in ⟦ ⟧. A signed-in admin
 * (password and authenticator app) picks it with the switcher, then opens every page Gatehouse
 * serves by GET (every route of ROUTES answering HTML, ids filled in) and a few refused forms. On
 * each page, once the marked messages are taken out, what remains must be data: the user's name
 * and address, the client's name, the product's name, numbers and symbols. A string a page or the
 * server wrote in English shows up as a word left over, named with its page.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/server/routes.js';
import { en } from '../../src/ui/i18n/catalogs/en.js';
import { closeOutboxFlows, startOutboxFlow } from '../helpers/accounts.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, findForm, pkce, submitLogin, type Page } from '../helpers/flow.js';
import { expectMfaChallenge, factorContext, giveTotp, submitMfa, textOf, totpAt } from '../helpers/mfa.js';

/** Each ASCII letter of a message's own text as a look-alike that is not ASCII: "Sign in" becomes "Śïĝñ ïñ". */
const LOOK_ALIKES = Array.from('àƀçđèƒĝĥïĵķĺɱñòƥʠŕśŧùṽŵẋýžÀƁÇĐÈƑĜĤÏĴĶĹṀÑÒƤꝖŔŚŦÙṼŴẊÝŽ');
const LOOK_ALIKE = Object.fromEntries(Array.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', (letter, index) => [letter, LOOK_ALIKES[index]!]));

/**
 * `message` (ICU MessageFormat) with the letters of its literal text replaced by look-alikes, and
 * nothing else touched: argument names and types, plural keywords and tags stay as they are, so the
 * message keeps English's placeholders. A small scanner: text, `{` opens an argument, an argument's
 * `{` opens an option's text (a plural's `one {…}`), `<…>` is a tag.
 */
function marked(message: string): string {
  const inText: boolean[] = [true];
  let out = '';
  for (let i = 0; i < message.length; i += 1) {
    const char = message[i]!;
    const text = inText.at(-1)!;
    if (char === '{') inText.push(!text);
    else if (char === '}') inText.pop();
    else if (text && char === '<') {
      const end = message.indexOf('>', i);
      out += message.slice(i, end + 1);
      i = end;
      continue;
    }
    out += text ? (LOOK_ALIKE[char] ?? char) : char;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'gh-marked-'));
writeFileSync(join(dir, 'en-XA.json'), JSON.stringify(Object.fromEntries(Object.entries(en).map(([key, message]) => [key, marked(message)]))));
afterAll(async () => {
  await closeOutboxFlows();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The page's visible text, less what is meant to be as it is: the switcher's language names
 * ("Deutsch"), `<code>` (ids, event types) and a protocol error's English details (`<bdi lang="en">`).
 */
function visibleText(body: string): string {
  return textOf(
    body
      .replace(/<option [^>]*>[^<]*<\/option>/g, ' ')
      .replace(/<code\b[^>]*>[\s\S]*?<\/code>/g, ' ')
      .replace(/<bdi lang="en"[^>]*>[^<]*<\/bdi>/g, ' '),
  );
}

/** Words that are data, not page text: the test's users, client and product, and technical names. */
const DATA = new Set([
  ...[
    'alice',
    'bob',
    'Alice',
    'Bob',
    'Liddell',
    'Builder',
    'BDWP',
    'HQPK',
    'example',
    'com',
    'Gatehouse',
    'Example',
    'App',
    'http',
    'https',
    'localhost',
    'openid',
    'profile',
    'email',
  ],
  // Dates: the marked language has no month names of its own, so Intl writes English ones.
  ...Array.from({ length: 12 }, (_, month) => new Date(Date.UTC(2025, month, 1)).toLocaleString('en', { month: 'long', timeZone: 'UTC' })),
]);

function leftovers(page: Page): string[] {
  if (!(page.headers.get('content-type') ?? '').startsWith('text/html')) return [];
  // English is what is left in plain ASCII letters; identifiers (`authorization_code`) are data.
  const words = visibleText(page.body).match(/[\w-]*[A-Za-z]{2}[\w-]*/g) ?? [];
  return [...new Set(words.filter((word) => !DATA.has(word) && !/[_\d]/.test(word)))];
}

describe('every page in a marked language shows only catalog messages and data', () => {
  it('GET pages, signed in as an admin', async () => {
    const flow = await startOutboxFlow({ languages: { dir } });
    const { server, users, clock } = flow;
    await server.store.users.update({ ...users.alice.record, roles: ['admin'] });
    const totp = await giveTotp(factorContext(server.store, clock), users.alice.record.id);
    clock.advance(30_000);

    const browser = new Browser(server);
    await browser.open(ROUTES.language, { form: { lang: 'en-XA', return_to: '/' } });
    const login = await browser.open(ROUTES.adminDashboard);
    const seen: Record<string, string[]> = { login: leftovers(login) };
    const challenge = expectMfaChallenge(await submitLogin(browser, login, users.alice));
    seen['mfa challenge'] = leftovers(challenge);
    await submitMfa(browser, challenge, 'totp', { code: await totpAt(totp.secret, clock.now()) });

    const ids: Record<string, string> = { id: users.alice.record.id, upstream: 'none', consentId: 'x', sid: 'x' };
    const pages = Object.entries(ROUTES).filter(([, path]) => !path.includes('/api/') && !path.startsWith('/.well-known'));
    for (const [name, path] of pages) {
      const page = await browser.open(path.replace(/:(\w+)/g, (_, id: string) => ids[id] ?? 'x'));
      seen[name] = leftovers(page);
    }
    const untranslated = Object.entries(seen).filter(([, words]) => words.length > 0);
    expect(untranslated.map(([page, words]) => `${page}: ${words.join(' ').slice(0, 160)}`)).toEqual([]);
  });

  it('a sign-in asking ui_locales=en-XA, its refusals, and the signed-out pages of an open sign-up', async () => {
    const flow = await startOutboxFlow({ languages: { dir }, accounts: { signUp: 'open', signUpClaims: ['given_name', 'locale'] } });
    const { server, users, client } = flow;
    const seen: Record<string, string[]> = {};
    const browser = new Browser(server);
    const params = authorizeParams(client, pkce().challenge, { ui_locales: 'en-XA', prompt: 'consent' });
    const login = expectPage(await browser.open(authorizeUrl(server, params)), 'login');
    seen.login = leftovers(login);
    seen['login, wrong password'] = leftovers(await submitLogin(browser, login, users.alice, 'not the password'));
    const consent = await submitLogin(browser, login, users.alice);
    seen.consent = leftovers(consent);
    seen['invalid request'] = leftovers(await browser.open(authorizeUrl(server, { ...params, redirect_uri: 'https://elsewhere.example/cb' })));

    const signedOut = new Browser(server);
    await signedOut.open(ROUTES.language, { form: { lang: 'en-XA', return_to: '/' } });
    for (const path of [ROUTES.signUp, ROUTES.forgotPassword, ROUTES.device, '/', ROUTES.endSession]) seen[path] = leftovers(await signedOut.open(path));
    const signUp = await signedOut.open(ROUTES.signUp);
    const form = findForm(signUp);
    seen['sign-up refused'] = leftovers(
      await signedOut.open(new URL(form.action, signUp.url).href, { form: { ...form.fields, email: 'not an address', password: 'short' } }),
    );
    seen['device, unknown code'] = leftovers(await signedOut.submit(await signedOut.open(ROUTES.device), { user_code: 'BCDF-GHJK' }));

    const untranslated = Object.entries(seen).filter(([, words]) => words.length > 0);
    expect(untranslated.map(([page, words]) => `${page}: ${words.join(' ').slice(0, 160)}`)).toEqual([]);
  });
});
