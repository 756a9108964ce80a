import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's Chromium, installed by .ci/run (`apt-get install chromium`). */
const CHROMIUM = '/usr/bin/chromium';

/** True when the browser is installed; browser tests are skipped (with a reason) otherwise. */
export const hasChromium = existsSync(CHROMIUM);

/**
 * The worker process's one Chromium. Test files share their worker's modules (`isolate: false`,
 * vitest.config.ts), so this outlives the file that launched it and serves the next: a launch and
 * the browser's first page cost seconds, each browser test file's contexts milliseconds. It goes
 * when the worker exits (Playwright stops what it launched, and Chromium quits when its pipe to
 * the worker closes), or is launched again should it have crashed.
 */
let shared: Promise<Browser> | undefined;

function sharedChromium(): Promise<Browser> {
  shared ??= chromium
    .launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    })
    .then(
      (browser) => {
        browser.on('disconnected', () => (shared = undefined));
        return browser;
      },
      (error: unknown) => {
        shared = undefined;
        throw error;
      },
    );
  return shared;
}

/**
 * Headless Chromium with the flags this machine needs (no sandbox as root, no background network):
 * the worker's shared browser (see `shared`), seen through a handle whose `close()` closes the
 * contexts opened through it (their pages, cookies and storage with them) and leaves the browser
 * for the next test file. Each context is its own profile, so nothing passes between files.
 */
export async function launchChromium(): Promise<Browser> {
  const browser = await sharedChromium();
  const opened = new Set<BrowserContext>();
  const track = (context: BrowserContext) => {
    opened.add(context);
    context.on('close', () => opened.delete(context));
    return context;
  };
  return new Proxy(browser, {
    get(target, property) {
      if (property === 'close')
        return async () => {
          await Promise.all([...opened].map((context) => context.close()));
        };
      if (property === 'newContext') return async (...args: Parameters<Browser['newContext']>) => track(await target.newContext(...args));
      if (property === 'newPage')
        return async (...args: Parameters<Browser['newPage']>) => {
          const page = await target.newPage(...args);
          track(page.context());
          return page;
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
