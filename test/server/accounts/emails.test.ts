import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { EMAIL_PLACEHOLDERS, EMAIL_TEMPLATES } from '../../../src/server/accounts/email-templates.js';
import { emailHasAction, renderAccountEmail, sendAccountEmail, type EmailVars } from '../../../src/server/accounts/emails.js';
import { createSmtpSender } from '../../../src/server/mfa/senders/smtp-sender.js';
import { factorAdded } from '../../../src/server/mfa/factor-added.js';
import type { EmailMessage, Sender } from '../../../src/server/mfa/senders/sender.js';
import { createWebhookSender } from '../../../src/server/mfa/senders/webhook-sender.js';
import { resolveOptions, type AuthorizationServerOptions } from '../../../src/server/options.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { englishMessages } from '../../../src/ui/i18n/index.js';
import { startSmtpServer, type TestSmtpServer } from '../mfa/senders/smtp-server.js';

const HOSTILE: EmailVars = {
  name: '<script>alert(1)</script>',
  link: 'https://id.example.com/invitation?token=abc"><img src=x onerror=alert(1)>',
  code: '123456',
  expiresIn: 7 * 86_400,
  detail: '<b>a passkey</b>',
  newEmail: 'new"<x>@example.com',
};

const i18n = englishMessages();
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function templatesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-emails-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

function configWith(options: Partial<AuthorizationServerOptions> = {}) {
  return resolveOptions({ issuer: 'https://id.example.com', secret: 'x'.repeat(40), store: createMemoryStore(), ...options });
}

describe('built-in account emails', () => {
  const ctx = { config: configWith({ branding: { productName: 'Acme <ID>', primaryColor: '#0a7a3d', logoUrl: 'https://cdn.example.com/logo.png' } }) };

  it.each(EMAIL_TEMPLATES)('%s: a subject, a branded HTML card and a plain-text part, every value escaped in HTML', (template) => {
    const email = renderAccountEmail(ctx, { to: 'ada@example.com', template, i18n, vars: HOSTILE });
    expect(email.subject).toContain('Acme <ID>');
    expect(email.subject).not.toMatch(/[\r\n]/);
    // No value reaches the HTML unescaped.
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('onerror=alert(1)>');
    expect(email.html).not.toContain('<b>');
    expect(email.html).toContain('Acme &lt;ID&gt;');
    expect(email.html).toContain('https://cdn.example.com/logo.png');
    expect(email.html).toContain('You received this because');
    expect(email.text).toContain('You received this because');
    expect(email.text).toContain('Hello <script>alert(1)</script>,');
    if (emailHasAction(template)) {
      // A real button (a link styled in the brand colour) and the link written out in the text part.
      expect(email.html).toMatch(
        /<a href="https:\/\/id\.example\.com\/invitation\?token=abc&quot;&gt;&lt;img[^"]*" target="_blank" style="[^"]*background|<td align="center" bgcolor="#0a7a3d"/,
      );
      expect(email.text).toContain(HOSTILE.link);
    } else {
      expect(email.text).not.toContain(HOSTILE.link);
    }
    if (EMAIL_PLACEHOLDERS[template].includes('code')) {
      expect(email.html).toMatch(/<span class="code"[^>]*>123456<\/span>/);
      expect(email.text).toContain('Your code: 123456');
    }
    expect(email.text).not.toContain('{{');
    expect(email.html).not.toContain('{{');
  });

  it('greets without a name, and says the lifetime it was given', () => {
    const email = renderAccountEmail(ctx, {
      to: 'ada@example.com',
      template: 'invitation',
      i18n,
      vars: { link: 'https://id.example.com/invitation?token=t', expiresIn: 3 * 86_400 },
    });
    expect(email.text).toMatch(/^Hello,\n/);
    expect(email.text).toContain('for ada@example.com');
    expect(email.text).toContain('3 days');
  });

  it('keeps the subject on one line whatever a value holds', () => {
    const config = configWith({ branding: { productName: 'Acme' } });
    const email = renderAccountEmail({ config }, { to: 'ada@example.com', template: 'factor_added', i18n, vars: { detail: 'x\r\nBcc: eve@example.com' } });
    expect(email.subject).toBe('A sign-in method was added to your Acme account');
  });
});

describe('email templates from a directory (emails.templatesDir)', () => {
  it('uses the files there, placeholders escaped in HTML and raw in text, and the built-in for the parts left out', () => {
    const dir = templatesDir({
      'invitation.subject.txt': 'Join {{product}}, {{name}}\n',
      'invitation.html': '<p>Hi {{name}}, <a href="{{link}}">join</a></p>',
    });
    const config = configWith({ emails: { templatesDir: dir } });
    const email = renderAccountEmail({ config }, { to: 'ada@example.com', template: 'invitation', i18n, vars: HOSTILE });
    expect(email.subject).toBe('Join Gatehouse, <script>alert(1)</script>');
    expect(email.html).toBe(
      '<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;, <a href="https://id.example.com/invitation?token=abc&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">join</a></p>',
    );
    // No invitation.txt: the built-in text part.
    expect(email.text).toContain('Accept the invitation\n');
    // Other templates untouched.
    expect(renderAccountEmail({ config }, { to: 'ada@example.com', template: 'password_reset', i18n }).subject).toBe('Reset your Gatehouse password');
  });

  it('fills the text part raw', () => {
    const config = configWith({ emails: { templatesDir: templatesDir({ 'password_reset.txt': 'Reset: {{link}} ({{ expiresIn }})' }) } });
    expect(
      renderAccountEmail(
        { config },
        { to: 'ada@example.com', template: 'password_reset', i18n, vars: { link: 'https://x.example/?a=1&b="2"', expiresIn: 1800 } },
      ).text,
    ).toBe('Reset: https://x.example/?a=1&b="2" (30 minutes)');
  });

  it('reads nothing from a directory that does not exist (the command default, DATA_DIR/emails)', () => {
    const config = configWith({ emails: { templatesDir: join(tmpdir(), 'gatehouse-no-such-dir-7f3a') } });
    expect(config.emails.overrides).toEqual({});
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['an unknown placeholder', { 'invitation.html': '<p>{{code}}</p>' }, /invitation\.html uses \{\{code\}\}, which this template does not have/],
    ['a malformed placeholder', { 'password_reset.txt': 'Reset: {{link}' }, /password_reset\.txt has a malformed placeholder/],
    ['a file that is no template', { 'invite.html': '<p>hi</p>' }, /invite\.html is not one of the templates/],
    ['a subject on two lines', { 'invitation.subject.txt': 'one\ntwo' }, /invitation\.subject\.txt must be one line/],
  ])('refuses %s at construction, naming the file', (_, files, message) => {
    const dir = templatesDir(files);
    const error = (() => {
      try {
        configWith({ emails: { templatesDir: dir } });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).toContain(dir);
    expect((error as ConfigError).option).toBe('emails.templatesDir');
  });

  it('reads a language’s own files (<template>.<lang>.*, the tag in any case) beside those for every language', () => {
    const dir = templatesDir({
      'invitation.subject.txt': 'Join {{product}}',
      'invitation.pt-br.subject.txt': 'Entre no {{product}}',
      'invitation.ar.html': '<p dir="rtl">{{link}}</p>',
    });
    const config = configWith({ emails: { templatesDir: dir } });
    expect(config.emails.overrides).toEqual({
      invitation: { '': { subject: 'Join {{product}}' }, 'pt-BR': { subject: 'Entre no {{product}}' }, ar: { html: '<p dir="rtl">{{link}}</p>' } },
    });
    const render = (locale: string) =>
      renderAccountEmail(
        { config },
        { to: 'ada@example.com', template: 'invitation', i18n: config.languages.messages.translator(locale), vars: { link: 'https://x.example/i' } },
      );
    expect(render('pt-BR').subject).toBe('Entre no Gatehouse');
    // Arabic: its own HTML, the subject for every language, the built-in text in Arabic.
    const arabic = render('ar');
    expect(arabic).toMatchObject({ subject: 'Join Gatehouse', html: '<p dir="rtl">https://x.example/i</p>' });
    expect(arabic.text).toContain('قبول الدعوة');
    expect(render('de').subject).toBe('Join Gatehouse');
  });

  it('refuses a file for a language not offered, naming it and the languages', () => {
    const dir = templatesDir({ 'invitation.nl.html': '<p>hoi</p>' });
    expect(() => configWith({ emails: { templatesDir: dir } })).toThrow(
      new RegExp(`email template ${join(dir, 'invitation.nl.html')} is for the language "nl", which is not offered \\(en, de, fr, es, pt-BR, ja, ar\\)`),
    );
  });

  it('refuses a file it cannot read, naming it', () => {
    const dir = templatesDir({});
    symlinkSync(join(dir, 'missing-target'), join(dir, 'invitation.html'));
    expect(() => configWith({ emails: { templatesDir: dir } })).toThrow(new RegExp(`email template ${join(dir, 'invitation.html')} cannot be read`));
  });

  it('skips subdirectories and dotfiles', () => {
    const dir = templatesDir({ '.DS_Store': 'x' });
    mkdirSync(join(dir, 'drafts'));
    expect(configWith({ emails: { templatesDir: dir } }).emails.overrides).toEqual({});
  });
});

describe('account emails through the senders', () => {
  let smtp: TestSmtpServer | undefined;
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });

  it('SMTP delivers one multipart/alternative message: the plain text and the HTML', async () => {
    smtp = await startSmtpServer();
    const sender = createSmtpSender({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'Gatehouse <no-reply@gatehouse.test>' });
    const config = configWith({ mfa: { senders: { email: sender } } });
    await sendAccountEmail(
      { config },
      { to: 'ada@example.com', template: 'invitation', i18n, vars: { link: 'https://id.example.com/invitation?token=t0k', name: 'Ada' } },
    );
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.to).toEqual(['ada@example.com']);
    expect(mail.subject).toBe('You are invited to Gatehouse');
    expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(mail.raw).toMatch(/Content-Type: text\/plain/i);
    expect(mail.raw).toMatch(/Content-Type: text\/html/i);
    expect(mail.raw).toContain('Hello Ada,');
    expect(mail.raw).toContain('https://id.example.com/invitation?token=t0k');
  });

  it('the webhook POSTs the subject, text and HTML, signed like the codes', async () => {
    const calls: { headers: Headers; body: string }[] = [];
    const fetchStub: typeof fetch = async (_url, init) => {
      calls.push({ headers: new Headers(init?.headers), body: init?.body as string });
      return new Response(null, { status: 204 });
    };
    const sender: Sender = createWebhookSender({ url: 'https://mail.example.com/hook', secret: 'hook-secret', fetch: fetchStub, now: () => 1_700_000_000_000 });
    const config = configWith({ mfa: { senders: { email: sender } } });
    await sendAccountEmail(
      { config },
      { to: 'ada@example.com', template: 'email_sign_in', i18n, vars: { link: 'https://id.example.com/e?t=1', code: '654321' } },
    );
    expect(calls).toHaveLength(1);
    const { headers, body } = calls[0]!;
    const payload = JSON.parse(body) as Record<string, string>;
    expect(payload).toMatchObject({
      channel: 'email',
      to: 'ada@example.com',
      template: 'email_sign_in',
      subject: 'Your Gatehouse sign-in code',
      code: '654321',
    });
    expect(payload.text).toContain('Your code: 654321');
    expect(payload.html).toContain('<!doctype html>');
    const timestamp = headers.get('x-gatehouse-timestamp');
    expect(timestamp).toBe('1700000000');
    expect(headers.get('x-gatehouse-signature')).toBe(`sha256=${createHmac('sha256', 'hook-secret').update(`${timestamp}.${body}`).digest('hex')}`);
  });
});

describe('factorAdded: the security notice as an account email', () => {
  const user = { id: 'u1', email: 'ada@example.com', profile: { name: 'Ada' } } as unknown as Parameters<typeof factorAdded>[1];
  const context = (email: Sender) => ({
    config: configWith({ mfa: { senders: { email } } }),
    audit: { record: async () => ({}) } as never,
    clock: { now: () => 0 },
    logger: { warn: () => undefined } as never,
  });

  it("sends the 'factor_added' template when the sender carries account emails", async () => {
    const sent: EmailMessage[] = [];
    const notified: unknown[] = [];
    await factorAdded(
      context({ send: async () => undefined, notify: async (n) => void notified.push(n), sendEmail: async (m) => void sent.push(m) }),
      user,
      'webauthn',
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(notified).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ template: 'factor_added', to: 'ada@example.com', subject: 'A sign-in method was added to your Gatehouse account' });
    expect(sent[0]!.text).toContain('Hello Ada,');
    expect(sent[0]!.text).toContain('a passkey');
  });

  it('falls back to notify() for a custom sender without sendEmail', async () => {
    const notified: { detail: string }[] = [];
    await factorAdded(context({ send: async () => undefined, notify: async (n) => void notified.push(n) }), user, 'totp');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(notified.map((n) => n.detail)).toEqual(['an authenticator app']);
  });
});
