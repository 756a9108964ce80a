/**
 * Reading the parameters of an authorization request (query of a GET, form of a POST, OIDC Core
 * §3.1.2.1) and assembling the validated request the rest of the flow keeps.
 */
import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../stores/contract.js';
import { compileMessages } from '../../ui/i18n/index.js';
import type { EndpointInput } from '../http/endpoint.js';
import { parseForm, type FormParams } from '../http/form.js';
import { buildAuthorizationRequest, readAuthorizationParams, type Checked } from './params.js';

const CALLBACK = 'https://app.example/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const client = { clientId: 'client-1' } as ClientRecord;
const form = (fields: Record<string, string | undefined>): FormParams =>
  parseForm(new URLSearchParams(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString(), []);

/** What the checks established for a plain request; override any of it. */
function checked(overrides: Partial<Checked> = {}): Checked {
  return {
    params: form({}),
    client,
    redirectUri: CALLBACK,
    redirectUriGiven: true,
    responseMode: 'query',
    codeChallenge: CHALLENGE,
    scope: ['openid'],
    prompt: [],
    maxAge: undefined,
    hintedSub: undefined,
    essentialAcr: undefined,
    requestedClaims: undefined,
    claimedSub: undefined,
    resources: [],
    ...overrides,
  };
}

describe('buildAuthorizationRequest', () => {
  it('assembles what the checks validated and the free-text parameters', () => {
    const params = form({
      client_id: 'ignored',
      scope: 'ignored',
      state: 'af0ifjsldkj',
      nonce: 'n-0S6_WzA2Mj',
      login_hint: 'alice@example.com',
      acr_values: '2 1',
      ui_locales: 'fr-CA en',
    });
    const { authorization } = buildAuthorizationRequest(
      checked({
        params,
        redirectUriGiven: false,
        responseMode: 'form_post',
        scope: ['openid', 'email'],
        prompt: ['login', 'consent'],
        maxAge: 300,
        hintedSub: 'user-1',
        essentialAcr: ['2'],
      }),
    );
    expect(authorization).toStrictEqual({
      clientId: 'client-1',
      redirectUri: CALLBACK,
      redirectUriGiven: false,
      responseMode: 'form_post',
      scope: ['openid', 'email'],
      state: 'af0ifjsldkj',
      nonce: 'n-0S6_WzA2Mj',
      codeChallenge: CHALLENGE,
      prompt: ['login', 'consent'],
      maxAge: 300,
      loginHint: 'alice@example.com',
      hintedSub: 'user-1',
      acrValues: ['2', '1'],
      essentialAcr: ['2'],
      uiLocales: ['fr-CA', 'en'],
    });
  });

  it.each([
    { case: 'absent', fields: {}, acrValues: [], uiLocales: [] },
    { case: 'empty (RFC 6749 §3.1: omitted)', fields: { acr_values: '', ui_locales: '' }, acrValues: [], uiLocales: [] },
    { case: 'one value', fields: { acr_values: '2', ui_locales: 'de' }, acrValues: ['2'], uiLocales: ['de'] },
    { case: 'extra spaces', fields: { acr_values: ' 1  2 ', ui_locales: 'en   de ' }, acrValues: ['1', '2'], uiLocales: ['en', 'de'] },
  ])('splits acr_values and ui_locales on spaces: $case', ({ fields, acrValues, uiLocales }) => {
    const { authorization } = buildAuthorizationRequest(checked({ params: form(fields) }));
    expect([authorization.acrValues, authorization.uiLocales]).toEqual([acrValues, uiLocales]);
  });

  it.each([
    { case: 'not requested as essential: absent', essentialAcr: undefined, present: false },
    { case: 'essential without values: []', essentialAcr: [], present: true },
    { case: 'essential with values', essentialAcr: ['1', '2'], present: true },
  ])('essentialAcr $case', ({ essentialAcr, present }) => {
    const { authorization } = buildAuthorizationRequest(checked({ essentialAcr }));
    expect('essentialAcr' in authorization).toBe(present);
    expect(authorization.essentialAcr).toEqual(essentialAcr);
  });

  it('leaves the optional parameters undefined when absent, and survives a JSON round trip (it is stored with the interaction)', () => {
    const { authorization } = buildAuthorizationRequest(checked());
    expect([authorization.state, authorization.nonce, authorization.loginHint, authorization.maxAge, authorization.hintedSub]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(JSON.parse(JSON.stringify(authorization))).toEqual(authorization);
  });
});

describe('readAuthorizationParams (GET query, POST form)', () => {
  const ctx = { config: { limits: { maxBodyBytes: 1024 } } } as unknown as EndpointInput['ctx'];

  it.each([
    { case: 'GET: the query', request: new Request('https://id.example/authorize?client_id=client-1&scope=openid+email&state=a%20b') },
    {
      case: 'POST: the form body, not the query',
      request: new Request('https://id.example/authorize?client_id=from-query', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'client_id=client-1&scope=openid%20email&state=a+b',
      }),
    },
  ])('$case', async ({ request }) => {
    const read = await readAuthorizationParams({ ctx, request });
    if (read instanceof Response) throw new Error(`unexpected error page ${read.status}`);
    expect(['client_id', 'scope', 'state'].map((name) => read.params.get(name))).toEqual(['client-1', 'openid email', 'a b']);
  });

  const post = (body: string, contentType = 'application/x-www-form-urlencoded') =>
    new Request('https://id.example/authorize', { method: 'POST', headers: { 'content-type': contentType }, body });
  it.each([
    {
      case: 'a parameter repeated in the query',
      request: new Request('https://id.example/authorize?client_id=a&client_id=b'),
      reason: 'a parameter is included more than once',
    },
    { case: 'a parameter repeated in the form', request: post('scope=openid&scope=email'), reason: 'a parameter is included more than once' },
    { case: 'a JSON body', request: post('{"client_id":"a"}', 'application/json'), reason: 'the request body must be application/x-www-form-urlencoded' },
    { case: 'a body over the limit', request: post(`state=${'x'.repeat(1100)}`), reason: 'the request body is larger than 1024 bytes' },
  ])('$case: a 400 error page, nothing redirected', async ({ request, reason }) => {
    const pageCtx = {
      config: {
        limits: { maxBodyBytes: 1024 },
        branding: { productName: 'Gatehouse', primaryColor: '#1f6feb' },
        languages: { default: 'en', messages: compileMessages() },
        secureCookies: true,
      },
    } as unknown as EndpointInput['ctx'];
    const read = await readAuthorizationParams({ ctx: pageCtx, request });
    if (!(read instanceof Response)) throw new Error('expected an error page');
    expect([read.status, read.headers.get('location'), read.headers.get('content-type')]).toEqual([400, null, 'text/html; charset=utf-8']);
    expect(await read.text()).toContain(reason);
  });
});
