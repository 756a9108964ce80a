/**
 * Gatehouse's production storage, built as `gatehouse start` builds it (src/cli/runtime.ts) for
 * `GATEHOUSE_DATABASE_URL=postgres://…` and `GATEHOUSE_REDIS_URL=redis://…`: a PostgreSQL store
 * (pool of 10, 5 s statement timeout: the CLI's defaults), migrated; Redis connected fail-fast;
 * a hybrid store (durable entities in PostgreSQL, short-lived artifacts in Redis) behind the
 * client cache and the invalidation bus; rate-limit counters in Redis.
 *
 * Everything it makes is private to this process and removed when it stops: a schema of its own
 * (`gatehouse_bench_<pid>_<hex>`) and a Redis key prefix of its own (`{gatehouse-bench-<pid>-<hex>}:`,
 * deleted by SCAN + DEL on that prefix only). The services themselves are never reconfigured.
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) and BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379) say where they are.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DIST, gatehouse } from '../lib/dist.mjs';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** How long to wait for either service before skipping this process. */
const CONNECT_TIMEOUT_MS = 5000;

// The `pg` that Gatehouse's build imports (its CommonJS module: the ESM entry re-exports it), so
// counting statements on its Client prototype sees every statement the store runs.
const pg = createRequire(join(DIST, 'stores', 'postgres', 'index.js'))('pg');

/** Statements sent by any pg client of this process, except the bench's own probe connection. */
let sqlStatements = 0;
const UNCOUNTED = Symbol('bench probe connection');
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  if (!this[UNCOUNTED]) sqlStatements += 1;
  return query.apply(this, args);
};

/** `host:port/database` or `host:port`: where a service is, without credentials. */
function where(url) {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  } catch {
    return 'the configured address';
  }
}

function reasonOf(error) {
  const message = error?.message ?? String(error);
  return error?.code && !message.includes(error.code) ? `${error.code}: ${message}` : message;
}

/** The process `pid` is on this machine and runs `program` (not a pid of another namespace). */
function isLocalProcess(pid, program) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith(program);
  } catch {
    return false;
  }
}

/**
 * Connects to both services and builds the store. Resolves `{ unavailable }` with a reason when
 * PostgreSQL or Redis cannot be reached (nothing is left behind then).
 */
export async function openPgRedis() {
  const { createPostgresStore } = await gatehouse('stores/postgres/index.js');
  const { connectRedis, createHybridStore, createInvalidationBus, withClientCache } = await gatehouse('stores/redis/index.js');

  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const schema = `gatehouse_bench_${suffix}`;
  const prefix = `{gatehouse-bench-${suffix.replace('_', '-')}}:`;
  const applicationName = `gatehouse-bench-${suffix}`;

  // The bench's own connection: reachability, the server processes to measure, the final DROP SCHEMA.
  const own = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'gatehouse-bench-probe' });
  own[UNCOUNTED] = true;
  own.on('error', () => undefined);
  try {
    await own.connect();
    await own.query('select 1');
  } catch (error) {
    await own.end().catch(() => undefined);
    return { unavailable: `PostgreSQL at ${where(DATABASE_URL)} is unreachable (${reasonOf(error)}); set BENCH_DATABASE_URL` };
  }

  // As the CLI's openRedis: fail-fast, and ready before anything uses it.
  const redis = connectRedis(REDIS_URL, { failFast: true });
  let lastError;
  redis.on('error', (error) => {
    lastError = error;
  });
  const ready = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready) {
    redis.disconnect();
    await own.end().catch(() => undefined);
    return { unavailable: `Redis at ${where(REDIS_URL)} is unreachable (${lastError ? reasonOf(lastError) : 'not ready in time'}); set BENCH_REDIS_URL` };
  }
  const redisPid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);

  // Every command this process sends on the connection (the store's, the rate limiter's, pipelines
  // included); the invalidation bus's subscriber is a connection of its own and only listens.
  let redisCommands = 0;
  const sendCommand = redis.sendCommand;
  redis.sendCommand = function countedCommand(...args) {
    redisCommands += 1;
    return sendCommand.apply(this, args);
  };

  const durable = createPostgresStore({ connectionString: DATABASE_URL, schema, applicationName });
  try {
    await durable.migrate();
  } catch (error) {
    await durable.close().catch(() => undefined);
    await dropSchema(own, schema);
    await own.end().catch(() => undefined);
    redis.disconnect();
    return { unavailable: `PostgreSQL at ${where(DATABASE_URL)} refused the migrations (${reasonOf(error)})` };
  }
  const bus = createInvalidationBus(redis, prefix);
  const store = withClientCache(createHybridStore({ durable, redis, prefix }), bus);

  return {
    store,
    /** What the CLI adds to the server's options when Redis is configured. */
    serverOptions: { invalidation: bus, protection: { redis, redisPrefix: prefix } },
    info: { schema, redisPrefix: prefix, database: where(DATABASE_URL), redis: where(REDIS_URL) },
    /**
     * Counters for the parent: statements and commands sent so far, and the processes that serve
     * them — this server's PostgreSQL backends (by application name), PostgreSQL's own background
     * processes (WAL writer, checkpointer, autovacuum) and the Redis server — whose CPU the parent
     * charges to this process instead of counting it as other load.
     */
    async probe() {
      const { rows } = await own.query("select pid from pg_stat_activity where application_name = $1 or backend_type <> 'client backend'", [applicationName]);
      const pids = rows.map((row) => row.pid).filter((pid) => isLocalProcess(pid, 'postgres'));
      if (isLocalProcess(redisPid, 'redis-server')) pids.push(redisPid);
      return { sqlStatements, redisCommands, servicePids: pids };
    },
    /** After the server and the store are closed: the bus, the schema, the keys, the connections. */
    async cleanup() {
      await bus.close().catch(() => undefined);
      await dropSchema(own, schema);
      await own.end().catch(() => undefined);
      try {
        await deleteKeys(redis, prefix);
      } finally {
        await redis.quit().catch(() => redis.disconnect());
      }
    },
  };
}

async function dropSchema(client, schema) {
  // `schema` matches [a-z0-9_]+ (built above), so quoting it is enough.
  await client.query(`drop schema if exists "${schema}" cascade`);
}

/** SCAN + DEL of the keys under `prefix`, and only those. */
async function deleteKeys(redis, prefix) {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
