/**
 * Integrator misuse is refused at construction with a `TypeError` naming the option (STYLE.md
 * "Errors", "Config"): above all, no way to let `none` or HMAC algorithms in (RFC 8725 §3.1, §3.2).
 */
import { describe, expect, it } from 'vitest';
import { createResourceGuard, type ResourceGuardOptions } from '../../src/resource/index.js';
import { API, countingFetch } from './support.js';

const VALID: ResourceGuardOptions = { issuer: 'https://id.example', audience: API };

/** Asserts that building a guard with `options` throws a TypeError naming `option`. */
function expectRefused(options: unknown, option: string): void {
  let thrown: unknown;
  try {
    createResourceGuard(options as ResourceGuardOptions);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${option} should be refused`).toBeInstanceOf(TypeError);
  expect((thrown as Error).message).toContain(option);
  expect(thrown).toMatchObject({ code: 'ERR_INVALID_OPTION', option });
}

describe('createResourceGuard options', () => {
  it.each([
    { algorithms: ['HS256'] },
    { algorithms: ['HS384'] },
    { algorithms: ['HS512'] },
    { algorithms: ['none'] },
    { algorithms: ['None'] },
    { algorithms: ['ES256', 'HS256'] },
    { algorithms: ['RS256', 'none'] },
    { algorithms: ['dir'] },
    { algorithms: ['A256KW'] },
  ])('refuses algorithms $algorithms', ({ algorithms }) => {
    expectRefused({ ...VALID, algorithms }, 'algorithms');
  });

  it('accepts asymmetric algorithms', () => {
    expect(() => createResourceGuard({ ...VALID, algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'] })).not.toThrow();
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['an empty list', []],
    ['a list with an empty entry', [API, '']],
    ['not a string', 42],
  ])('refuses an audience that is %s', (_name, audience) => {
    expectRefused({ issuer: VALID.issuer, audience }, 'audience');
  });

  it.each([
    ['missing', undefined],
    ['not a URL', 'id.example'],
  ])('refuses an issuer that is %s', (_name, issuer) => {
    expectRefused({ issuer, audience: API }, 'issuer');
  });

  it('refuses introspection without client credentials', () => {
    expectRefused({ ...VALID, introspection: { clientId: 'api' } }, 'introspection');
    expectRefused({ ...VALID, introspection: { clientId: '', clientSecret: 'secret' } }, 'introspection');
  });

  it('refuses a negative JWKS cooldown at construction, not at the first request', () => {
    expectRefused({ ...VALID, jwksCooldown: -1 }, 'jwksCooldown');
  });

  it('makes no request at construction', () => {
    const net = countingFetch();
    createResourceGuard({ ...VALID, fetch: net.fetch });
    expect(net.urls).toEqual([]);
  });
});
