import { request as httpRequest } from 'node:http';

/** A response read whole. */
export interface LoopbackResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * An HTTP request sent FROM a given loopback address (127.0.0.1, 127.0.0.2, ...), so tests can play
 * several clients on one machine: the server sees each as a different peer.
 */
export function requestFrom(
  localAddress: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<LoopbackResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: init.method ?? 'GET',
        headers: init.headers,
        localAddress,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A cookie jar over {@link requestFrom}: follows nothing, keeps cookies, submits forms. */
export class LoopbackBrowser {
  readonly cookies = new Map<string, string>();
  /** `headers` go with every request (e.g. `X-Forwarded-For`, to play a proxy). */
  constructor(
    readonly localAddress: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<LoopbackResponse> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await requestFrom(this.localAddress, url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, ...(body ? { body } : {}) });
    for (const cookie of ([] as string[]).concat(response.headers['set-cookie'] ?? [])) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1);
      if (/max-age=0/i.test(cookie) || value === '') this.cookies.delete(pair!.slice(0, eq));
      else this.cookies.set(pair!.slice(0, eq), value);
    }
    return response;
  }

  /** GET, following redirects on the same origin. */
  async open(url: string): Promise<LoopbackResponse & { url: string }> {
    let current = url;
    for (let hops = 0; hops < 10; hops += 1) {
      const response = await this.request(current);
      const location = response.headers.location;
      if (response.status >= 300 && response.status < 400 && typeof location === 'string' && new URL(location, current).origin === new URL(url).origin) {
        current = new URL(location, current).href;
        continue;
      }
      return { ...response, url: current };
    }
    throw new Error('too many redirects');
  }
}

/** The hidden csrf value and action of the first form on a page. */
export function firstForm(html: string, base: string): { action: string; csrf: string } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '';
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return { action: new URL(action.replace(/&amp;/g, '&'), base).href, csrf };
}
