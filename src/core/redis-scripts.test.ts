/**
 * The script runner on an ioredis-like host: a NOSCRIPT answer (a restarted node's empty script
 * cache, met again after ioredis's own EVAL fallback) is sent again, anything else is not.
 */
import { describe, expect, it } from 'vitest';
import { defineScripts, type LuaScript, type ScriptHost } from './redis-scripts.js';

const SCRIPT: LuaScript = { lua: 'return 1', command: 'gatehouse_test_script_0123456789ab' };
const noscript = () => Object.assign(new Error('NOSCRIPT No matching script. Please use EVAL.'), { name: 'ReplyError' });

/** A host whose command answers `replies` in turn (an Error rejects), counting the calls. */
function host(replies: unknown[]): ScriptHost & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const fake = {
    calls,
    defineCommand(name: string) {
      (fake as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        calls.push(args);
        const reply = replies.shift();
        return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
      };
    },
  };
  return fake;
}

describe('defineScripts', () => {
  it('sends KEYS then ARGV, with the number of keys first', async () => {
    const redis = host(['ok']);
    const { run } = defineScripts(redis, { run: SCRIPT });
    expect(await run(['k1', 'k2'], ['a', 1])).toBe('ok');
    expect(redis.calls).toEqual([[2, 'k1', 'k2', 'a', 1]]);
  });

  it('sends a script answered NOSCRIPT again, up to three times in all', async () => {
    const redis = host([noscript(), noscript(), 'ok']);
    const { run } = defineScripts(redis, { run: SCRIPT });
    expect(await run(['k'], [])).toBe('ok');
    expect(redis.calls).toHaveLength(3);

    const stuck = host([noscript(), noscript(), noscript(), 'never']);
    await expect(defineScripts(stuck, { run: SCRIPT }).run(['k'], [])).rejects.toThrow(/^NOSCRIPT/);
    expect(stuck.calls).toHaveLength(3);
  });

  it('never sends again after any other error: the script may have run', async () => {
    const redis = host([new Error('ERR user_script:1: oops'), 'never']);
    await expect(defineScripts(redis, { run: SCRIPT }).run(['k'], [])).rejects.toThrow(/oops/);
    expect(redis.calls).toHaveLength(1);
  });
});
