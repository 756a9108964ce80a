/**
 * Issue 13: the issuer URL is a page. `GET /` (and `GET {issuer path}`) answers a small branded
 * page instead of a JSON 404; `/favicon.ico` is the brand mark. Through the fetch handler.
 */
import { describe, expect, it } from 'vitest';
import { signIn, startFlow } from '../helpers/flow.js';
import { textOf } from '../helpers/mfa.js';
import { startServer } from '../helpers/server.js';

const links = (body: string) => [...body.matchAll(/<a\b[^>]*href="([^"]*)"/g)].map((match) => match[1]!.replaceAll('&amp;', '&'));

describe('GET / (the issuer URL)', () => {
  it('is a page saying what this is, linking to the account page, discovery and documentation', async () => {
    const server = await startServer();
    const response = await server.get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/style-src 'nonce-[^']+'/);
    expect(csp).toContain("script-src 'none'");
    const body = await response.text();
    expect(textOf(body)).toContain('Gatehouse sign-in service Applications that use Gatehouse bring you here to sign in.');
    expect(links(body)).toEqual([
      'http://localhost:3000/account',
      'http://localhost:3000/.well-known/openid-configuration',
      'https://www.npmjs.com/package/gatehouse',
    ]);
    expect(textOf(body)).toContain('Issuer: http://localhost:3000');
    expect(textOf(body)).not.toContain('Signed in as');
  });

  it('answers HEAD with the headers and no body', async () => {
    const server = await startServer();
    const response = await server.server.fetch(new Request('http://localhost:3000/', { method: 'HEAD' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('says who is signed in in this browser', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const page = await flow.browser.open('/');
    expect(page.status).toBe(200);
    expect(textOf(page.body)).toContain('Signed in as Alice Liddell alice@example.com');
    expect(textOf(page.body)).toContain('Manage your account');
  });

  it('with an issuer path, is served at the issuer URL and at the root, with links below the issuer', async () => {
    const server = await startServer({ issuer: 'http://localhost:3000/auth' });
    for (const path of ['/auth', '/']) {
      const response = await server.get(path);
      expect(response.status, path).toBe(200);
      const body = await response.text();
      expect(links(body)[0], path).toBe('http://localhost:3000/auth/account');
      expect(links(body)[1], path).toBe('http://localhost:3000/auth/.well-known/openid-configuration');
    }
    // The links work.
    expect((await server.get('/auth/.well-known/openid-configuration')).status).toBe(200);
  });

  it('refuses other methods with 405, as a page', async () => {
    const server = await startServer();
    const response = await server.post('/', {});
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });
});

describe('GET /favicon.ico', () => {
  it('is the brand mark as SVG, cached for a long time, and answers HEAD', async () => {
    const server = await startServer({ branding: { productName: 'Northwind', primaryColor: '#0f766e' } });
    const response = await server.get('/favicon.ico');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/svg+xml');
    const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]);
    expect(response.headers.get('cache-control')).toMatch(/^public/);
    expect(maxAge).toBeGreaterThanOrEqual(86_400);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
    const svg = await response.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('fill="#0f766e"');
    expect(svg).toMatch(/>N<\/text><\/svg>$/);

    const head = await server.server.fetch(new Request('http://localhost:3000/favicon.ico', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
