/**
 * What the Chromium journeys share: a test server listening on `http://localhost:<port>` (the
 * issuer names the port), an application's callback page to come back to, pages that collect
 * Content-Security-Policy violations, and the review of a page: the checks that nothing scrolls
 * sideways at 375 px and that axe finds no WCAG 2.2 A/AA violation in either colour scheme, and
 * (with `REVIEW_SHOTS=1`) screenshots in light and dark at 1024 px and 375 px (full page).
 */
import AxeBuilder from '@axe-core/playwright';
import { serve, type ServerType } from '@hono/node-server';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestServer } from '../helpers/server.js';

/**
 * Whether {@link reviewPage} writes its screenshots: with `REVIEW_SHOTS=1`, for the engineer who
 * changed a page to look at them. The checks (axe in both schemes, nothing sideways at 375 px) run
 * either way; the screenshots nobody looks at in CI would cost a sixth of the journeys' time.
 */
const TAKE_SHOTS = process.env.REVIEW_SHOTS === '1';

/** Where {@link reviewPage} writes, unless told otherwise. */
const ACCOUNT_SHOTS = '/tmp/shots-accounts';

/**
 * Listens on localhost (port 0) first, then starts what `start` builds with the issuer naming that
 * port; its `close()` then also stops listening. @hono/node-server passes the connection as
 * `env.incoming`: its peer is the client address.
 */
export async function serveOnLocalhost<T extends { server: TestServer; close(): Promise<void> }>(start: (issuer: string) => Promise<T>): Promise<T> {
  // Filled in once the port is known: the handler is built before the server it calls.
  const target: { started?: T } = {};
  let http: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    http = serve(
      {
        fetch: (request: Request, env: unknown) => target.started!.server.server.fetch(request, env as Parameters<TestServer['server']['fetch']>[1]),
        port: 0,
        hostname: 'localhost',
      },
      (info) => resolve(info.port),
    );
  });
  const started = (target.started = await start(`http://localhost:${port}`));
  const closeServer = started.close.bind(started);
  return Object.assign(started, {
    async close() {
      http?.close();
      await closeServer();
    },
  });
}

/** An application on localhost whose callback page says "Back at Notes": its callback URL and how to stop it. */
export async function startNotesApp(): Promise<{ callback: string; close(): void }> {
  const app = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>Notes</title><h1>Back at Notes</h1>');
  });
  await new Promise<void>((resolve) => app.listen(0, 'localhost', resolve));
  return { callback: `http://localhost:${(app.address() as AddressInfo).port}/callback`, close: () => app.close() };
}

/** A new context and page at 1024 × 800 (in the browser language `locale`, when given), with the Content-Security-Policy violations its console reports. */
export async function newPage(
  chromium: Browser,
  options: { userAgent?: string; locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const context = await chromium.newContext({ viewport: { width: 1024, height: 800 }, ...options });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return { context, page, violations };
}

/**
 * Reviews `page` at 1024 px and at 375 px (where nothing may scroll sideways), in light and dark:
 * axe at 1024 px in each scheme, and with `REVIEW_SHOTS=1` full-page screenshots to
 * `<dir>/<name>[-375]-<light|dark>.png`; then back to 1024 px, light.
 */
export async function reviewPage(page: Page, name: string, dir = ACCOUNT_SHOTS): Promise<void> {
  mkdirSync(dir, { recursive: true });
  // No hover left over from the last click; no colour transition caught half-way when the scheme changes.
  await page.mouse.move(0, 0);
  for (const [width, label] of [
    [1024, ''],
    [375, '-375'],
  ] as const) {
    await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
      if (TAKE_SHOTS) await page.screenshot({ path: `${dir}/${name}${label}-${scheme}.png`, fullPage: true });
      if (width === 1024) expect(await accessibilityViolations(page, scheme), `${name} (${scheme}): WCAG violations found by axe`).toEqual([]);
    }
    if (width === 375) expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(375);
  }
  await page.setViewportSize({ width: 1024, height: 800 });
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
}

/**
 * The axe rules whose outcome depends on the colour scheme: the dark review runs only these, since
 * structure, names, landmarks and ARIA are the same page in both schemes (the light review runs
 * every WCAG 2.2 A/AA rule).
 */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/**
 * What axe-core finds against WCAG 2.2 A and AA on the page as it is shown now (contrast in the
 * current colour scheme included): one line per rule, with the elements it failed on. In the dark
 * scheme, the colour rules only.
 */
async function accessibilityViolations(page: Page, scheme: 'light' | 'dark'): Promise<string[]> {
  let result: Awaited<ReturnType<AxeBuilder['analyze']>>;
  try {
    // Not `resultTypes: ['violations']`: it cuts the passed elements that page-wide rules
    // (landmark-unique, region) compare across, and they then report what is not there.
    //
    // axe-core (half a megabyte of script) goes into a page once: it stays there while the colour
    // scheme and the viewport change, and the next run on the same page finds it. Legacy mode runs
    // `axe.run` in the page itself, where the default runs `runPartial` in each frame and then
    // `finishRun` in a blank page it opens and loads axe-core into: the same rules and results
    // without frames, which our pages never have, in a quarter of the time.
    const loaded = await page.evaluate(() => 'axe' in window);
    const axe = new AxeBuilder(loaded ? { page, axeSource: ';' } : { page }).setLegacyMode();
    result = await (scheme === 'light' ? axe.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']) : axe.withRules(COLOUR_RULES)).analyze();
  } catch (error) {
    // axe runs as a script in the page: not in a context with JavaScript off, whose pages the
    // journeys also review with it on.
    if (error instanceof Error && error.message.includes('cannot run scripts')) return [];
    throw error;
  }
  return result.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}
