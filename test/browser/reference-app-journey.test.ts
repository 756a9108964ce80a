/**
 * The newcomer's journey in real Chromium, against `npm start`'s two servers (the demo script):
 * open the app, sign in as the demo user, consent, see the profile, load notes from the protected
 * API, sign out — and the old session no longer reaches the API. And a new user's: create an
 * account from the sign-in page (the demo has open sign-up; the proof of work runs in the
 * browser), confirm the address with the code from the development outbox, and arrive signed in
 * at the app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium } from './chromium.js';
import { freePort } from '../helpers/ports.js';
import { waitForEmail } from '../helpers/accounts.js';

const root = resolve(import.meta.dirname, '..', '..');

interface Demo {
  issuer: string;
  app: string;
  username: string;
  password: string;
  /** The development outbox file, where the demo's emails land. */
  outbox: string;
}

describe.skipIf(!hasChromium)('reference app journey in Chromium (npm start)', () => {
  let demo: ChildProcess;
  let ready: Demo;
  let browser: Browser;
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-demo-'));

  beforeAll(async () => {
    const [port, appPort] = [await freePort(), await freePort()];
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_')));
    demo = spawn(process.execPath, [join(root, 'dist-examples', 'demo.js'), '--port', String(port), '--app-port', String(appPort), '--json'], {
      cwd: dataDir,
      env: { ...env, GATEHOUSE_DATA_DIR: join(dataDir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ready = await new Promise<Demo>((done, fail) => {
      const timer = setTimeout(() => fail(new Error('the demo did not start within 30 s')), 30_000);
      createInterface({ input: demo.stdout! }).on('line', (line) => {
        if (line.startsWith('{"issuer"')) {
          clearTimeout(timer);
          done(JSON.parse(line) as Demo);
        }
      });
      demo.once('exit', (code) => fail(new Error(`the demo exited with ${code}`)));
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (demo?.exitCode === null) {
      const exited = new Promise((done) => demo.once('exit', done));
      demo.kill('SIGINT');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs in, shows the profile, loads notes from the protected API, signs out; the old session is refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(ready.app);
    await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();

    // Gatehouse's login page.
    await expect.poll(() => page.url()).toContain(`${ready.issuer}/interaction/`);
    await page.getByLabel('Username or email').fill(ready.username);
    await page.getByLabel('Password').fill(ready.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    // Consent, then back to the app's profile.
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${ready.app}/profile`);
    expect(await page.locator('#name').textContent()).toBe('Demo User');
    expect(await page.locator('#email').textContent()).toContain('demo@example.com');
    expect(await page.locator('#scopes').textContent()).toContain('notes:read');

    // The page calls the protected API with the user's access token.
    await page.getByRole('link', { name: 'Load my notes from the API' }).click();
    await page.waitForURL(`${ready.app}/notes`);
    expect(await page.locator('#notes li').first().textContent()).toContain('Welcome!');

    const signedInCookies = await context.cookies(ready.app);

    // Sign out: the app, then Gatehouse's end-session endpoint, back to the app's home page.
    await page.goto(`${ready.app}/profile`);
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${ready.app}/`);
    expect(await page.textContent('body')).toContain('You are signed out');

    // The old session, replayed by a copied cookie, no longer reaches the API: the page that calls
    // the API with the session's token now sends the browser to sign in.
    const replay = await browser.newContext();
    await replay.addCookies(signedInCookies);
    const notes = await replay.request.get(`${ready.app}/notes`, { maxRedirects: 0 });
    expect(notes.status()).toBe(302);
    expect(notes.headers().location).toContain('/login');
    await replay.close();
    await context.close();
  });

  it('creates an account on the sign-up page, confirms the address with the emailed code, and arrives signed in at the app', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(ready.app);
    await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();
    await expect.poll(() => page.url()).toContain(`${ready.issuer}/interaction/`);

    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Email address').fill('grace@example.com');
    await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
    await page.getByLabel('Password', { exact: true }).fill('compiler moth logbook harvard');
    // The browser solves the proof of work before the form goes.
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor({ timeout: 20_000 });

    // The demo's emails land in the development outbox; the code stands for the emailed link.
    const email = await waitForEmail(ready.outbox, 'grace@example.com', 'verify_email');
    await page.getByLabel('Code from the email').fill(email.code);
    await page.getByRole('button', { name: 'Confirm email address' }).click();

    // Signed in with the new account: consent, then the app's profile shows it, address verified.
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${ready.app}/profile`);
    expect(await page.locator('#name').textContent()).toBe('Grace Hopper');
    expect(await page.locator('#email').textContent()).toContain('grace@example.com');
    await page.getByRole('link', { name: 'Load my notes from the API' }).click();
    await page.waitForURL(`${ready.app}/notes`);
    await context.close();
  });
});
