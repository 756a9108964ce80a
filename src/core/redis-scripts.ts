import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The one way Gatehouse runs Lua in Redis: each script lives in a `.lua` file beside the module
 * that uses it (copied to `dist/` by the build), and is registered on the ioredis client with
 * `defineCommand`, which sends `EVALSHA` and falls back to `EVAL` on `NOSCRIPT` (a fresh,
 * restarted or failed-over Redis), on standalone, Sentinel and Cluster clients alike. ioredis adds
 * its `keyPrefix` to the declared KEYS; key names a script builds itself need it spelled out.
 */

/** A Lua script read from its file, with the command name it is registered under. */
export interface LuaScript {
  /** The script's source. */
  readonly lua: string;
  /**
   * `gatehouse_<name>_<sha1 prefix>`: the source's hash is part of the name, so two copies of
   * Gatehouse sharing one client never replace each other's scripts.
   */
  readonly command: string;
}

/**
 * Reads `file` (a URL relative to the calling module: `new URL('./lua/put.lua', import.meta.url)`)
 * once, when the module loads.
 *
 * @example
 * const PUT = luaScript('artifact_put', new URL('./lua/artifact-put.lua', import.meta.url));
 */
export function luaScript(name: string, file: URL): LuaScript {
  const lua = readFileSync(file, 'utf8');
  const sha = createHash('sha1').update(lua).digest('hex');
  return { lua, command: `gatehouse_${name}_${sha.slice(0, 12)}` };
}

/** What a script runner needs of an ioredis `Redis` or `Cluster` client. */
export interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

/** Runs one script: `KEYS` then `ARGV`, as `EVALSHA sha #keys ...keys ...args`. */
export type ScriptRunner = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/** Whether `candidate` looks like an ioredis client that can run scripts (duck-typed: the application may load its own copy of ioredis). */
export function canRunScripts(candidate: unknown): candidate is ScriptHost {
  return typeof candidate === 'object' && candidate !== null && typeof (candidate as Partial<ScriptHost>).defineCommand === 'function';
}

/**
 * Registers `scripts` on `redis` (once per client and script source) and returns a runner per script.
 *
 * @example
 * const run = defineScripts(redis, { put: PUT });
 * await run.put([key], [value, ttlMs]);
 */
export function defineScripts<Name extends string>(redis: ScriptHost, scripts: Record<Name, LuaScript>): Record<Name, ScriptRunner> {
  const commands = redis as unknown as Record<string, ((...args: (string | number)[]) => Promise<unknown>) | undefined>;
  const runners = {} as Record<Name, ScriptRunner>;
  for (const name of Object.keys(scripts) as Name[]) {
    const { command, lua } = scripts[name];
    if (typeof commands[command] !== 'function') redis.defineCommand(command, { lua });
    // Called as a method: ioredis's command functions use `this`.
    runners[name] = async (keys, args) => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await commands[command]!.call(redis, keys.length, ...keys, ...args);
        } catch (error) {
          // ioredis sends EVAL instead once, but when a cluster node restarts (its script cache
          // empty) a command retried across the restart can meet NOSCRIPT twice. The script did
          // not run, so sending it again is safe: ioredis sends the source this time.
          if (attempt >= NOSCRIPT_ATTEMPTS || !(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        }
      }
    };
  }
  return runners;
}

/** How often a script answered NOSCRIPT is sent (ioredis's own EVAL fallback not counted). */
const NOSCRIPT_ATTEMPTS = 3;
