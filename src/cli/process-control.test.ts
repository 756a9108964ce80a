import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { restartOnlyChanges, signalExitCode } from './process-control.js';

const base = loadConfig({ mode: 'development', dataDir: '/srv/gatehouse' }, {}, '/srv');

describe('restartOnlyChanges', () => {
  it.each([
    ['nothing', {}, []],
    ['a token lifetime', { accessTokenTtl: 1234 }, []],
    ['the log level', { logLevel: 'debug' }, []],
    ['the log format', { logFormat: 'ecs' }, []],
    ['rate limits', { rateLimits: { tokenPerClient: { points: 5 } } }, []],
    ['certificate paths, TLS on before and after', { tlsCert: '/b.crt', tlsKey: '/b.key' }, []],
    ['the port', { port: 4000 }, ['port']],
    ['the host', { host: '0.0.0.0' }, ['host']],
    ['the pool size and Redis', { dbPoolSize: 3, redisUrl: 'redis://127.0.0.1:6379' }, ['dbPoolSize', 'redisUrl']],
    ['the number of workers', { workers: 4 }, ['workers']],
  ] as const)('%s', (_name, change, expected) => {
    const before = { ...base, tlsCert: '/a.crt', tlsKey: '/a.key' };
    expect(restartOnlyChanges(before, { ...before, ...change })).toEqual(expected);
  });

  it('TLS turned on or off', () => {
    expect(restartOnlyChanges(base, { ...base, tlsCert: '/a.crt', tlsKey: '/a.key' })).toEqual(['tlsCert']);
  });
});

describe('signalExitCode', () => {
  it('is 128 + the signal number, as shells report a death by signal', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});
