import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, describeScopes, escapeHtml, renderConsentPage } from './index.js';
import { englishMessages } from './i18n/index.js';
import { attr, tags } from './testing/all-pages.js';

const view = {
  branding: DEFAULT_BRANDING,
  nonce: 'n',
  i18n: englishMessages(),
  action: '/consent',
  csrfToken: 't',
  client: { name: 'Acme Photos', uri: 'https://photos.acme.example/about' },
  account: { name: 'Ada Lovelace', login: 'ada@example.com' },
  scopes: ['email', 'openid', 'photos.read'],
};

describe('renderConsentPage', () => {
  const html = renderConsentPage(view);

  it('says who asks for which account', () => {
    expect(html).toContain('Acme Photos wants to access your Gatehouse account');
    expect(html).toContain('Signed in as');
    expect(html).toContain('Ada Lovelace');
    expect(html).toContain('ada@example.com');
  });

  it('lists every requested scope in plain words, in the described order', () => {
    const items = [...html.matchAll(/<li data-scope="([^"]*)">[\s\S]*?<span>([^<]*)<\/span><\/li>/g)].map((m) => ({
      scope: m[1],
      description: m[2],
    }));
    expect(items).toEqual(describeScopes(view.scopes).map((s) => ({ ...s, description: escapeHtml(s.description) })));
  });

  it('names the resources the access is for, escaped, and nothing when the request named none', () => {
    const limited = renderConsentPage({ ...view, resources: ['https://mcp.example/mcp', 'urn:example:<x>'] });
    expect(limited).toContain('Only at <strong class="resource">https://mcp.example/mcp</strong> and <strong class="resource">urn:example:&lt;x&gt;</strong>.');
    expect(html).not.toContain('Only at');
  });

  it('names the claims asked for one by one (OIDC Core 5.5) in words joined as a list, an unknown one quoted and escaped, and nothing when none', () => {
    const named = renderConsentPage({ ...view, claims: ['name', 'email', 'name', 'x<y'] });
    expect(named).toContain(
      'See these details of your account: <strong class="claim">your name</strong>, <strong class="claim">your email address</strong>, and <strong class="claim">&quot;x&lt;y&quot;</strong>',
    );
    expect(html).not.toContain('data-claims');
  });

  it('offers Allow and Cancel as two submit buttons of one form', () => {
    expect(tags(html, 'form')).toHaveLength(1);
    const buttons = tags(html, 'button');
    expect(buttons.map((b) => [attr(b, 'name'), attr(b, 'value')])).toEqual([
      ['decision', 'deny'],
      ['decision', 'approve'],
    ]);
    expect(html).toMatch(/class="button button-primary" name="decision" value="approve">Allow<\/button>/);
    expect(html).toMatch(/name="decision" value="deny">Cancel<\/button>/);
  });

  it("shows the host of the client's home page", () => {
    expect(html).toContain('href="https://photos.acme.example/about"');
    expect(html).toContain('>photos.acme.example</a>');
  });

  describe('of a client that registered itself', () => {
    const unverified = renderConsentPage({
      ...view,
      client: { ...view.client, logoUri: 'https://photos.acme.example/logo.png' },
      unverified: { redirectDomain: 'photos-acme.example.net' },
    });

    it('marks it unverified and names the domain the answer goes to', () => {
      expect(unverified).toContain('<span class="badge badge-warning">Unverified</span>');
      expect(unverified).toContain('It receives your answer at <strong class="redirect-domain">photos-acme.example.net</strong>');
      expect(unverified).toContain('Acme Photos wants to access your Gatehouse account');
    });

    it('shows neither the logo nor the home page it claims', () => {
      expect(unverified).not.toContain('logo.png');
      expect(unverified).not.toContain('href="https://photos.acme.example/about"');
    });
  });
});

describe('renderConsentPage: a client known by its metadata document', () => {
  const html = renderConsentPage({ ...view, unverified: { redirectDomain: 'cb.tool.example', documentHost: 'tool.example' } });

  it('marks it unverified and names both the host of its client_id URL and where the answer goes', () => {
    expect(html).toContain('<span class="badge badge-warning">Unverified</span>');
    expect(html).toContain('Described by the app itself at <strong class="document-host">tool.example</strong>');
    expect(html).toContain('It receives your answer at <strong class="redirect-domain">cb.tool.example</strong>');
  });

  it("does not show the client's self-asserted home page", () => {
    expect(html).not.toContain('photos.acme.example');
  });
});
