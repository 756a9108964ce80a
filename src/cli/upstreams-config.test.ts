import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { upstreamsFromConfig } from './upstreams-config.js';

describe('upstreamsFromConfig', () => {
  it.each([
    ['a non-array', { github: {} }, '"upstreams" must be an array'],
    ['a null entry', [null], 'each upstream needs "id", "type" and "clientId"'],
    ['a string entry', ['github'], 'each upstream needs "id", "type" and "clientId"'],
    ['an entry without a client id', [{ id: 'github', type: 'github' }], 'each upstream needs "id", "type" and "clientId"'],
  ])('refuses %s as a config error, also with an environment shortcut set', (_, configured, message) => {
    const env = { GATEHOUSE_UPSTREAM_GITHUB_CLIENT_ID: 'abc' };
    expect(() => upstreamsFromConfig(configured, env, 'production')).toThrow(ConfigError);
    expect(() => upstreamsFromConfig(configured, env, 'production')).toThrow(message);
  });

  it('adds an environment shortcut unless the file names that upstream', () => {
    const env = { GATEHOUSE_UPSTREAM_GITHUB_CLIENT_ID: 'from-env' };
    expect(upstreamsFromConfig(undefined, env, 'production').map((entry) => [entry.id, entry.clientId])).toEqual([['github', 'from-env']]);
    const configured = [{ id: 'github', type: 'github', clientId: 'from-file' }];
    expect(upstreamsFromConfig(configured, env, 'production').map((entry) => [entry.id, entry.clientId])).toEqual([['github', 'from-file']]);
  });
});
