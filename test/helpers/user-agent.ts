/**
 * A small text-only browser for tests: keeps cookies, follows redirects by hand (stopping at a
 * given origin, such as a client's redirect URI) and submits HTML forms as a user would with
 * JavaScript off. Pages are parsed with regular expressions, which is enough for our own markup.
 */
export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
  /** Submit buttons: name -> values. */
  buttons: { name: string; value: string; label: string }[];
}

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export class UserAgent {
  readonly cookies = new Map<string, string>();

  /** @param send what makes each request (`fetch`; `npm run chaos` passes one that times and counts them) */
  constructor(private readonly send: typeof fetch = fetch) {}

  /** Requests `url` and follows redirects until the response is not a redirect, or until `stopAt` matches the Location. */
  async open(url: string, init: RequestInit = {}, stopAt?: (location: string) => boolean): Promise<Page> {
    let current = url;
    let request: RequestInit = init;
    for (let hops = 0; hops < 20; hops += 1) {
      const response = await this.send(current, {
        ...request,
        redirect: 'manual',
        headers: { ...(request.headers as Record<string, string>), ...this.cookieHeader(current) },
      });
      this.store(response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current).href;
        if (stopAt?.(next)) return { url: next, status: response.status, headers: response.headers, body: '' };
        current = next;
        request = {};
        continue;
      }
      return { url: current, status: response.status, headers: response.headers, body: await response.text() };
    }
    throw new Error('too many redirects');
  }

  /** Submits the page's form (the first, or the one whose action contains `actionPart`), with `values` and the clicked button. */
  async submit(
    page: Page,
    values: Record<string, string>,
    options: { button?: { name: string; value: string }; actionPart?: string; stopAt?: (location: string) => boolean } = {},
  ): Promise<Page> {
    const forms = parseForms(page.body);
    const form = options.actionPart ? forms.find((f) => f.action.includes(options.actionPart!)) : forms[0];
    if (!form) throw new Error(`no form on page ${page.url}:\n${page.body.slice(0, 500)}`);
    const body = new URLSearchParams({ ...form.fields, ...values, ...(options.button ? { [options.button.name]: options.button.value } : {}) });
    return this.open(
      new URL(form.action, page.url).href,
      { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      options.stopAt,
    );
  }

  private cookieHeader(url: string): Record<string, string> {
    if (this.cookies.size === 0 || !url.startsWith('http')) return {};
    return { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  private store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

const decode = (value: string) =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const attr = (tag: string, name: string) => {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match ? decode(match[1]!) : undefined;
};

/** The forms of an HTML page with their hidden/prefilled fields and submit buttons. */
export function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, openTag, inner] = match;
    const fields: Record<string, string> = {};
    for (const input of inner!.matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name && attr(input[0], 'type') !== 'submit') fields[name] = attr(input[0], 'value') ?? '';
    }
    const buttons = [...inner!.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((button) => ({
      name: attr(button[1]!, 'name') ?? '',
      value: attr(button[1]!, 'value') ?? '',
      label: button[2]!.replace(/<[^>]+>/g, '').trim(),
    }));
    forms.push({ action: attr(openTag!, 'action') ?? '', method: (attr(openTag!, 'method') ?? 'get').toLowerCase(), fields, buttons });
  }
  return forms;
}
