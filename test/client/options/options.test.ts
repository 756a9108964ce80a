/**
 * Configuration mistakes fail at construction with a `ConfigError` naming the option (STYLE.md
 * "Config"), not later as an outage: a typo in an option name (which would otherwise be ignored
 * and its default used) and a plain-http server without `allowInsecureRequests` (which
 * oauth4webapi would refuse at the first request). And every option docs/client.md documents is
 * accepted.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createMachineClient,
  createMemoryTokenStore,
  createOAuthClient,
  gatehouse,
  oauth2,
  type MachineClientOptions,
  type OAuthClientOptions,
} from '../../../src/client/index.js';
import { ConfigError } from '../../../src/core/errors.js';
import { documentedOptions } from './documented-options.js';

const docs = readFileSync(new URL('../../../docs/client.md', import.meta.url), 'utf8');

function refusal(build: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    build();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect(thrown).toBeInstanceOf(TypeError);
  expect(thrown).toMatchObject({ code: 'ERR_INVALID_OPTION' });
  return thrown as ConfigError;
}

const WEB: OAuthClientOptions = {
  issuer: 'https://id.example',
  clientId: 'app',
  clientSecret: 'app-secret',
  redirectUri: 'https://app.example/authorize',
  secret: 'k'.repeat(40),
};
const MACHINE: MachineClientOptions = { issuer: 'https://id.example', clientId: 'job', clientSecret: 'job-secret' };

const constructors = [
  ['createOAuthClient', (extra: Record<string, unknown>) => createOAuthClient({ ...WEB, ...extra })],
  ['createMachineClient', (extra: Record<string, unknown>) => createMachineClient({ ...MACHINE, ...extra })],
] as const;

describe.each(constructors)('%s refuses unknown option keys', (_name, build) => {
  it.each([
    ['refreshLeway', 'refreshLeeway'],
    ['refreshleeway', 'refreshLeeway'],
    ['clientID', 'clientId'],
    ['client_secret', 'clientSecret'],
    ['allowInsecureRequest', 'allowInsecureRequests'],
    ['scope', 'scopes'],
    ['issuerUrl', 'issuer'],
  ])('%s: names it and suggests %s', (key, suggestion) => {
    const error = refusal(() => build({ [key]: 60 }));
    expect(error.option).toBe(key);
    expect(error.message).toBe(`unknown option "${key}" (did you mean "${suggestion}"?)`);
  });

  it.each(['colour', 'tokenEndpointAuthMethods', 'x'])('%s: names it, with no suggestion when nothing is close', (key) => {
    const error = refusal(() => build({ [key]: true }));
    expect(error.option).toBe(key);
    expect(error.message).toBe(`unknown option "${key}"`);
  });

  it('refuses an unknown key even when its value is undefined (a typo is a typo)', () => {
    expect(refusal(() => build({ refreshLeway: undefined })).option).toBe('refreshLeway');
  });
});

describe('every documented option is accepted', () => {
  it('createOAuthClient: the "Every option" table', () => {
    const samples: Record<string, unknown> = {
      provider: gatehouse('https://id.example'),
      issuer: 'https://id.example',
      clientId: 'app',
      clientSecret: 'app-secret',
      clientAuthMethod: 'client_secret_post',
      redirectUri: 'https://app.example/authorize',
      scopes: ['openid', 'email'],
      resource: ['https://api.example'],
      secret: 'k'.repeat(40),
      tokenStore: createMemoryTokenStore(),
      sessionTtl: 3600,
      refreshLeeway: 30,
      postLogoutRedirectUri: 'https://app.example/',
      cookiePrefix: 'app',
      allowInsecureRequests: false,
      fetch: globalThis.fetch,
      timeoutMs: 5000,
      now: Date.now,
      dpop: { alg: 'ES256', required: true },
    };
    expect(documentedOptions(docs, '## Every option').sort()).toEqual(Object.keys(samples).sort());
    expect(() => createOAuthClient(samples as unknown as OAuthClientOptions)).not.toThrow();
  });

  it('createMachineClient: the machine client table', () => {
    const samples: Record<string, unknown> = {
      issuer: 'https://id.example',
      clientId: 'job',
      clientSecret: 'job-secret',
      clientAuthMethod: 'client_secret_post',
      scopes: ['notes:read'],
      resource: 'https://api.example',
      refreshLeeway: 30,
      allowInsecureRequests: false,
      fetch: globalThis.fetch,
      timeoutMs: 5000,
      now: Date.now,
      dpop: true,
    };
    expect(documentedOptions(docs, '## The machine client').sort()).toEqual(Object.keys(samples).sort());
    expect(() => createMachineClient(samples as unknown as MachineClientOptions)).not.toThrow();
  });
});

describe('a plain-http server needs allowInsecureRequests, at construction', () => {
  const cases = [
    ['createOAuthClient, issuer', 'issuer', () => createOAuthClient({ ...WEB, issuer: 'http://id.example' })],
    ['createOAuthClient, a preset issuer', 'provider.issuer', () => createOAuthClient({ ...WEB, issuer: undefined, provider: gatehouse('http://id.example') })],
    [
      'createOAuthClient, a preset endpoint',
      'provider.metadata.token_endpoint',
      () =>
        createOAuthClient({
          ...WEB,
          issuer: undefined,
          provider: oauth2({ authorizationEndpoint: 'https://id.example/authorize', tokenEndpoint: 'http://id.example/token' }),
        }),
    ],
    ['createOAuthClient, a loopback issuer', 'issuer', () => createOAuthClient({ ...WEB, issuer: 'http://127.0.0.1:3000' })],
    ['createMachineClient, issuer', 'issuer', () => createMachineClient({ ...MACHINE, issuer: 'http://id.example' })],
    ['createMachineClient, a loopback issuer', 'issuer', () => createMachineClient({ ...MACHINE, issuer: 'http://localhost:3000' })],
  ] as const;

  it.each(cases)('%s: ConfigError naming %s and allowInsecureRequests', (_name, option, build) => {
    const error = refusal(build);
    expect(error.option).toBe(option);
    expect(error.message).toContain(`option "${option}" must be an https URL`);
    expect(error.message).toContain('allowInsecureRequests: true');
  });

  it.each([
    ['createOAuthClient', () => createOAuthClient({ ...WEB, issuer: 'http://id.example', allowInsecureRequests: true })],
    [
      'createOAuthClient, preset endpoints',
      () =>
        createOAuthClient({
          ...WEB,
          issuer: undefined,
          provider: oauth2({ authorizationEndpoint: 'http://id.example/a', tokenEndpoint: 'http://id.example/t' }),
          allowInsecureRequests: true,
        }),
    ],
    ['createMachineClient', () => createMachineClient({ ...MACHINE, issuer: 'http://id.example', allowInsecureRequests: true })],
  ])('%s: accepted with allowInsecureRequests: true', (_name, build) => {
    expect(build).not.toThrow();
  });

  it('createMachineClient refuses a non-http(s) issuer even with the switch', () => {
    expect(refusal(() => createMachineClient({ ...MACHINE, issuer: 'ftp://id.example', allowInsecureRequests: true })).option).toBe('issuer');
  });
});

describe('createMachineClient refuses bad values at construction', () => {
  it.each([
    ['issuer', { issuer: 'id.example' }],
    ['clientAuthMethod', { clientAuthMethod: 'private_key_jwt' }],
    ['refreshLeeway', { refreshLeeway: -1 }],
    ['refreshLeeway', { refreshLeeway: 'soon' }],
  ])('%s %o', (option, extra) => {
    expect(refusal(() => createMachineClient({ ...MACHINE, ...extra } as MachineClientOptions)).option).toBe(option);
  });
});

describe('the dpop option is checked at construction', () => {
  it.each([
    ['dpop', { dpop: 'yes' }],
    ['dpop.alg', { dpop: { alg: 'HS256' } }],
    ['dpop.required', { dpop: { required: 'no' } }],
    ['dpop.requird', { dpop: { requird: false } }],
  ])('both clients: %s %o', (option, extra) => {
    for (const [, build] of constructors) expect(refusal(() => build(extra)).option).toBe(option);
  });

  it("a key pair is the machine client's alone (the web client makes one per session), with an extractable public key", async () => {
    expect(refusal(() => createOAuthClient({ ...WEB, dpop: { keyPair: {} } } as unknown as OAuthClientOptions)).option).toBe('dpop.keyPair');
    const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    expect(refusal(() => createMachineClient({ ...MACHINE, dpop: { keyPair: { ...keyPair, publicKey: keyPair.privateKey } } })).option).toBe('dpop.keyPair');
    expect(() => createMachineClient({ ...MACHINE, dpop: { keyPair } })).not.toThrow();
  });
});
