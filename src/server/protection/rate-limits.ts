import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Cluster, Redis } from 'ioredis';

/** Limits, each "at most `points` per `seconds`". Documented in docs/configuration.md. */
export interface RateLimitSettings {
  /** Failed sign-ins for one account from one address before a lockout (of `lockoutSeconds`). Default 5 per 900 s. */
  signInPerAccountIp: { points: number; seconds: number; lockoutSeconds: number };
  /** Failed sign-ins from one address, across accounts. Default 100 per 3600 s. */
  signInPerIp: { points: number; seconds: number };
  /** Wrong second-factor answers from one address. Default 50 per 3600 s. */
  mfaPerIp: { points: number; seconds: number };
  /** Token requests per client. Default 1200 per 60 s. */
  tokenPerClient: { points: number; seconds: number };
  /** Requests from one address, all endpoints but health checks. Default 3000 per 60 s. */
  requestsPerIp: { points: number; seconds: number };
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  signInPerAccountIp: { points: 5, seconds: 900, lockoutSeconds: 900 },
  signInPerIp: { points: 100, seconds: 3600 },
  mfaPerIp: { points: 50, seconds: 3600 },
  tokenPerClient: { points: 1200, seconds: 60 },
  requestsPerIp: { points: 3000, seconds: 60 },
};

/** A refused request: how long until it may try again. */
export interface Limited {
  limiter: string;
  retryAfterSeconds: number;
}

/** Longest extra wait added to a failed sign-in (progressive delay). */
const MAX_DELAY_MS = 4000;

/**
 * The server's rate limits (rate-limiter-flexible), in memory on one node or in Redis shared by
 * every instance. Sign-in lockouts are keyed on account + address: an attacker elsewhere cannot
 * lock the real user out, and the per-address budget stops one address from trying many accounts.
 */
export class RateLimits {
  readonly #limiters: Record<keyof RateLimitSettings, RateLimiterAbstract>;

  /** `redisPrefix`: the installation's Redis key prefix, so installations sharing a Redis never share counters. */
  constructor(settings: RateLimitSettings, redis?: Redis | Cluster, redisPrefix = '{gatehouse}:') {
    const memory = (keyPrefix: string, points: number, duration: number, blockDuration: number) => new RateLimiterMemory({ keyPrefix, points, duration, blockDuration });
    const make = (keyPrefix: string, points: number, duration: number, blockDuration = 0): RateLimiterAbstract =>
      redis
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `${redisPrefix}rl:${keyPrefix}`,
            points,
            duration,
            blockDuration,
            // While Redis is unreachable, count in this process instead of failing every request
            // (discovery and JWKS stay up; what needs Redis answers 503 by itself).
            insuranceLimiter: memory(keyPrefix, points, duration, blockDuration),
          })
        : memory(keyPrefix, points, duration, blockDuration);
    this.#limiters = {
      signInPerAccountIp: make('signin-account-ip', settings.signInPerAccountIp.points, settings.signInPerAccountIp.seconds, settings.signInPerAccountIp.lockoutSeconds),
      signInPerIp: make('signin-ip', settings.signInPerIp.points, settings.signInPerIp.seconds),
      mfaPerIp: make('mfa-ip', settings.mfaPerIp.points, settings.mfaPerIp.seconds),
      tokenPerClient: make('token-client', settings.tokenPerClient.points, settings.tokenPerClient.seconds),
      requestsPerIp: make('requests-ip', settings.requestsPerIp.points, settings.requestsPerIp.seconds),
    };
  }

  /** Counts one request against a limit; `Limited` when it is over. */
  async consume(limiter: keyof RateLimitSettings, key: string): Promise<Limited | undefined> {
    try {
      await this.#limiters[limiter].consume(key);
      return undefined;
    } catch (error) {
      if (error instanceof RateLimiterRes) return { limiter, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
      throw error;
    }
  }

  /** Whether a limit is used up, without counting anything. */
  async blocked(limiter: keyof RateLimitSettings, key: string): Promise<Limited | undefined> {
    const limiterImpl = this.#limiters[limiter];
    const state = await limiterImpl.get(key);
    // Used up once every point is spent: the next attempt is refused before anything is checked.
    if (!state || state.consumedPoints < limiterImpl.points) return undefined;
    return { limiter, retryAfterSeconds: Math.max(1, Math.ceil(state.msBeforeNext / 1000)) };
  }

  /** Before checking a password: is this account + address, or this address, locked out? */
  async signInBlocked(login: string, ip: string): Promise<Limited | undefined> {
    return (await this.blocked('signInPerAccountIp', `${login}|${ip}`)) ?? (await this.blocked('signInPerIp', ip));
  }

  /**
   * After a wrong password: counts it, and returns the delay to wait before answering (doubling
   * with each failure, up to 4 s) and a lockout when the budget is spent.
   */
  async signInFailed(login: string, ip: string): Promise<{ delayMs: number; limited: Limited | undefined }> {
    const limited = (await this.consume('signInPerAccountIp', `${login}|${ip}`)) ?? (await this.consume('signInPerIp', ip));
    const state = await this.#limiters.signInPerAccountIp.get(`${login}|${ip}`);
    const failures = state?.consumedPoints ?? 1;
    return { delayMs: Math.min(MAX_DELAY_MS, 250 * 2 ** (failures - 1)), limited };
  }

  /** A successful sign-in clears the account + address counter. */
  async signInSucceeded(login: string, ip: string): Promise<void> {
    await this.#limiters.signInPerAccountIp.delete(`${login}|${ip}`);
  }
}
