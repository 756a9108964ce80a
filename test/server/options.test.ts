import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { createAuthorizationServer } from '../../src/server/authorization-server.js';
import type { AuthorizationServerOptions } from '../../src/server/options.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { SECRET } from '../helpers/server.js';

/** Valid options; each test breaks one thing. */
function options(overrides: Record<string, unknown> = {}): AuthorizationServerOptions {
  return { issuer: 'https://id.example.com', store: createMemoryStore(), secret: SECRET, logger: false, ...overrides };
}

/** Constructs a server and returns what it threw (failing the test if it did not throw). */
function constructionError(overrides: Record<string, unknown>): ConfigError {
  try {
    const server = createAuthorizationServer(options(overrides));
    void server.close();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected createAuthorizationServer to throw for ${JSON.stringify(Object.keys(overrides))}`);
}

function expectAccepted(overrides: Record<string, unknown>): void {
  const server = createAuthorizationServer(options(overrides));
  void server.close();
}

describe('createAuthorizationServer options', () => {
  it('accepts a minimal valid configuration', () => {
    expectAccepted({});
  });

  describe('issuer (RFC 8414 §2)', () => {
    it.each([
      ['not a URL', 'id.example.com'],
      ['an empty string', ''],
      ['a non-http scheme', 'ftp://id.example.com'],
    ])('refuses %s, naming the option', (_label, issuer) => {
      const error = constructionError({ issuer });
      expect(error.message).toContain('"issuer"');
      expect(error.option).toBe('issuer');
      expect(error.code).toBe('ERR_INVALID_OPTION');
    });

    it.each([
      ['a query', 'https://id.example.com/?tenant=a'],
      ['an empty query', 'https://id.example.com/tenant?'],
      ['a fragment', 'https://id.example.com/tenant#a'],
      ['an empty fragment', 'https://id.example.com#'],
    ])('refuses an issuer with %s', (_label, issuer) => {
      const error = constructionError({ issuer });
      expect(error.message).toContain('"issuer"');
      expect(error.message).toMatch(/query or fragment/);
    });

    it.each(['https://id.example.com/', 'https://id.example.com/tenant-a/'])('refuses a trailing slash: %s', (issuer) => {
      const error = constructionError({ issuer });
      expect(error.message).toContain('"issuer"');
      expect(error.message).toContain('"/"');
    });

    it('refuses a plain-http issuer on a public host in production mode (the default)', () => {
      const error = constructionError({ issuer: 'http://id.example.com' });
      expect(error.message).toContain('"issuer"');
      expect(error.message).toMatch(/https/);
      expect(constructionError({ issuer: 'http://id.example.com', mode: 'production' }).option).toBe('issuer');
    });

    it('accepts a plain-http issuer on a public host only in development mode', () => {
      expectAccepted({ issuer: 'http://id.example.com', mode: 'development' });
    });

    it.each(['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000'])('accepts a loopback http issuer in production: %s', (issuer) => {
      expectAccepted({ issuer });
    });

    it('does not mistake a public host that merely starts with "localhost" for loopback', () => {
      expect(constructionError({ issuer: 'http://localhost.example.com' }).option).toBe('issuer');
    });

    it('accepts an https issuer with a path', () => {
      const server = createAuthorizationServer(options({ issuer: 'https://id.example.com/tenant-a' }));
      expect(server.issuer).toBe('https://id.example.com/tenant-a');
      void server.close();
    });
  });

  describe('secret', () => {
    it('refuses a secret shorter than 32 characters, naming the option', () => {
      const error = constructionError({ secret: 'x'.repeat(31) });
      expect(error.message).toContain('"secret"');
      expect(error.message).toContain('32');
    });

    it('refuses a missing secret', () => {
      expect(constructionError({ secret: undefined }).message).toContain('"secret"');
    });

    it('accepts a secret of exactly 32 characters', () => {
      expectAccepted({ secret: 'y'.repeat(32) });
    });
  });

  describe('shape', () => {
    it('refuses an unknown top-level option, naming it (catches typos)', () => {
      const error = constructionError({ isuer: 'https://id.example.com' });
      expect(error.message).toContain('isuer');
      expect(error.option).toBe('isuer');
    });

    it('refuses an unknown nested option with its dotted path', () => {
      const error = constructionError({ tokens: { accessTokenTTL: 60 } });
      expect(error.message).toContain('tokens.accessTokenTTL');
    });

    it.each([
      ['tokens.accessTokenTtl', { tokens: { accessTokenTtl: -1 } }],
      ['tokens.accessTokenTtl', { tokens: { accessTokenTtl: 0 } }],
      ['tokens.accessTokenTtl', { tokens: { accessTokenTtl: 1.5 } }],
      ['tokens.accessTokenTtl', { tokens: { accessTokenTtl: '3600' } }],
      ['tokens.accessTokenSigningAlg', { tokens: { accessTokenSigningAlg: 'HS256' } }],
      ['tokens.defaultAudience', { tokens: { defaultAudience: 'not a url' } }],
      ['keys.refreshInterval', { keys: { refreshInterval: -5 } }],
      ['limits.maxBodyBytes', { limits: { maxBodyBytes: 10 } }],
      ['mode', { mode: 'staging' }],
      ['scopes.1', { scopes: ['read', 'bad scope'] }],
      ['store', { store: {} }],
      ['clock', { clock: { now: 5 } }],
    ])('refuses a bad %s, naming its path', (path, overrides) => {
      const error = constructionError(overrides);
      expect(error.message).toContain(`"${path}"`);
      expect(error.option).toBe(path);
    });

    it('refuses options that are not an object', () => {
      expect(() => createAuthorizationServer(null as unknown as AuthorizationServerOptions)).toThrow(TypeError);
    });
  });
});
