/**
 * Driving panva's oidc-provider v9 from our client's tests: a loopback listener, and the user on
 * its development login and consent pages (`features.devInteractions`: any login, any password,
 * then a consent form).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { parseForms, type Page, type UserAgent } from '../../helpers/user-agent.js';

/** Listens on an ephemeral 127.0.0.1 port; returns the origin. */
export async function listen(target: Server): Promise<string> {
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
}

/** Closes a listener and its open connections. */
export async function close(target: Server): Promise<void> {
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
}

/**
 * Plays the user on oidc-provider's dev pages: any login and password, then "Continue", until the
 * provider redirects to the application (`toApp` says which URLs are the application's).
 */
export async function signInAtProvider(
  ua: UserAgent,
  url: URL,
  login: string,
  toApp: (location: string) => boolean,
): Promise<{ callback: string; pages: string[] }> {
  const pages: string[] = [];
  let page: Page = await ua.open(url.href, {}, toApp);
  for (let step = 0; step < 5 && !toApp(page.url); step += 1) {
    expect(page.status, page.body.slice(0, 500)).toBe(200);
    const [form] = parseForms(page.body);
    if (!form) throw new Error(`no form on ${page.url}: ${page.body.slice(0, 500)}`);
    pages.push(form.fields.prompt ?? 'unknown');
    const values: Record<string, string> = form.fields.prompt === 'login' ? { login, password: 'any password' } : {};
    page = await ua.submit(page, values, { stopAt: toApp });
  }
  if (!toApp(page.url)) throw new Error(`the provider did not redirect back: ${page.url}`);
  return { callback: page.url, pages };
}
