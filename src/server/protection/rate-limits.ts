import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Cluster, Redis } from 'ioredis';

/** Limits, each "at most `points` per `seconds`". Documented in docs/configuration.md. */
export interface RateLimitSettings {
  /** Sign-in attempts for one account from one address before a lockout (of `lockoutSeconds`). Default 5 per 900 s. */
  signInPerAccountIp: { points: number; seconds: number; lockoutSeconds: number };
  /**
   * Sign-in attempts for one account from every address together, except browsers that signed in
   * to that account before. Default 10 per 900 s. No lockout: the budget refills with its window.
   */
  signInPerAccount: { points: number; seconds: number };
  /**
   * Sign-in attempts from one address, across accounts; also each password posted with a reset or
   * invitation link (before the policy runs). Default 100 per 3600 s.
   */
  signInPerIp: { points: number; seconds: number };
  /** Second-factor answers from one address. Default 50 per 3600 s. */
  mfaPerIp: { points: number; seconds: number };
  /** Codes sent by SMS or email for one user. Default 5 per 3600 s. */
  codesPerUser: { points: number; seconds: number };
  /** Codes sent to one phone number or email address. Default 5 per 3600 s. */
  codesPerDestination: { points: number; seconds: number };
  /** Codes sent by SMS or email by the whole installation. Default 1000 per 3600 s. */
  codesGlobal: { points: number; seconds: number };
  /**
   * Client authentications at the token, introspection and revocation endpoints, per client id and
   * address, spent before the secret is checked; a success gives its point back at once. So it caps
   * wrong secrets and requests in flight together: a client making more than this many concurrent
   * requests from one address needs a higher value. Default 100 per 60 s.
   */
  clientAuthPerClientIp: { points: number; seconds: number };
  /** Token requests per client. Default 1200 per 60 s. */
  tokenPerClient: { points: number; seconds: number };
  /** Requests from one address, all endpoints but health checks. Default 3000 per 60 s. */
  requestsPerIp: { points: number; seconds: number };
  /** Accounts created from one address (sign-up form). Default 5 per 3600 s. */
  signUpPerIp: { points: number; seconds: number };
  /** Accounts created by sign-up across the installation. Default 200 per 3600 s. */
  signUpGlobal: { points: number; seconds: number };
  /**
   * Self-service requests that send an email (forgotten password, resent verification, sign-in
   * by email) from one address, whatever the account. Default 20 per 3600 s.
   */
  accountEmailsPerIp: { points: number; seconds: number };
  /**
   * Client metadata documents fetched because of requests from one address (a lookup answered from
   * the cache, or joining a fetch already under way, costs nothing). Spent before the fetch and
   * kept: the fetch is the cost. Default 20 per 60 s.
   */
  clientMetadataFetchPerIp: { points: number; seconds: number };
  /**
   * Dynamic client registrations (RFC 7591) from one address, spent before the request is read and
   * never given back. Default 20 per 3600 s.
   */
  registrationPerIp: { points: number; seconds: number };
  /**
   * User codes entered on the device page (RFC 8628) from one address; a code that is found gives
   * its point back, so this counts wrong codes. Default 20 per 3600 s.
   */
  deviceCodePerIp: { points: number; seconds: number };
  /**
   * Wrong user codes entered across the installation, spent before the lookup (RFC 8628 §5.1): the
   * budget that makes guessing one of 20^8 codes infeasible however many addresses guess. Default
   * 500 per 3600 s.
   */
  deviceCodeGlobal: { points: number; seconds: number };
}

export type LimiterName = keyof RateLimitSettings;

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  signInPerAccountIp: { points: 5, seconds: 900, lockoutSeconds: 900 },
  signInPerAccount: { points: 10, seconds: 900 },
  signInPerIp: { points: 100, seconds: 3600 },
  mfaPerIp: { points: 50, seconds: 3600 },
  codesPerUser: { points: 5, seconds: 3600 },
  codesPerDestination: { points: 5, seconds: 3600 },
  codesGlobal: { points: 1000, seconds: 3600 },
  clientAuthPerClientIp: { points: 100, seconds: 60 },
  tokenPerClient: { points: 1200, seconds: 60 },
  requestsPerIp: { points: 3000, seconds: 60 },
  signUpPerIp: { points: 5, seconds: 3600 },
  signUpGlobal: { points: 200, seconds: 3600 },
  accountEmailsPerIp: { points: 20, seconds: 3600 },
  clientMetadataFetchPerIp: { points: 20, seconds: 60 },
  registrationPerIp: { points: 20, seconds: 3600 },
  deviceCodePerIp: { points: 20, seconds: 3600 },
  deviceCodeGlobal: { points: 500, seconds: 3600 },
};

/** A refused request: how long until it may try again. */
export interface Limited {
  limiter: LimiterName;
  retryAfterSeconds: number;
}

/** One point to spend: on `limiter`, under `key`. */
export interface Spend {
  limiter: LimiterName;
  key: string;
}

/**
 * Points spent before an attempt is checked. A success gives them back ({@link refund}); a failure
 * keeps them. When any limit refused, nothing was kept ({@link limited} is set and the attempt
 * must not be checked at all).
 */
export interface Reservation {
  readonly limited: Limited | undefined;
  /** Points counted so far under `limiter` in its window, this attempt included (0 when it was not spent). */
  count(limiter: LimiterName): number;
  /** The attempt succeeded: its points go back. */
  refund(): Promise<void>;
}

/**
 * The server's rate limits (rate-limiter-flexible), in memory on one node or in Redis shared by
 * every instance. Every limit spends before it checks: {@link reserve} counts the attempt
 * atomically first, and only an attempt that got its points is verified; a success refunds them.
 * Of any number of concurrent attempts, at most the budget is verified.
 *
 * Limits in Redis fail closed: while Redis cannot answer (down, or no answer within the client's
 * command timeout) a limit cannot be checked, so `consume` and `reserve` reject with Redis's error
 * and the request is answered 503, never let through unchecked nor counted in one process only
 * (which would give each of N instances the whole budget). What must keep answering without Redis
 * (discovery, the JWKS) is counted in this process instead: {@link consumeInProcess}.
 */
export class RateLimits {
  readonly #limiters: Record<LimiterName, RateLimiterAbstract>;
  /** `requestsPerIp` counted in this process: the same limiter as in `#limiters` without Redis. */
  readonly #requestsPerIpInProcess: RateLimiterAbstract;
  /** Bounds audit events per kind and key, in this process only (a flood must not bloat the audit chain). */
  readonly #auditBudget = new RateLimiterMemory({ keyPrefix: 'audit', points: 10, duration: 60 });

  /** `redisPrefix`: the installation's Redis key prefix, so installations sharing a Redis never share counters. */
  constructor(settings: RateLimitSettings, redis?: Redis | Cluster, redisPrefix = '{gatehouse}:') {
    const memory = (keyPrefix: string, points: number, duration: number, blockDuration: number) =>
      new RateLimiterMemory({ keyPrefix, points, duration, blockDuration });
    const make = (keyPrefix: string, points: number, duration: number, blockDuration = 0): RateLimiterAbstract =>
      redis
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `${redisPrefix}rl:${keyPrefix}`,
            points,
            duration,
            blockDuration,
            // No insurance limiter: a limit that cannot be checked fails the request (see above).
          })
        : memory(keyPrefix, points, duration, blockDuration);
    const plain = (name: LimiterName, keyPrefix: string) => make(keyPrefix, settings[name].points, settings[name].seconds);
    this.#limiters = {
      signInPerAccountIp: make(
        'signin-account-ip',
        settings.signInPerAccountIp.points,
        settings.signInPerAccountIp.seconds,
        settings.signInPerAccountIp.lockoutSeconds,
      ),
      signInPerAccount: plain('signInPerAccount', 'signin-account'),
      signInPerIp: plain('signInPerIp', 'signin-ip'),
      mfaPerIp: plain('mfaPerIp', 'mfa-ip'),
      codesPerUser: plain('codesPerUser', 'codes-user'),
      codesPerDestination: plain('codesPerDestination', 'codes-destination'),
      codesGlobal: plain('codesGlobal', 'codes-global'),
      clientAuthPerClientIp: plain('clientAuthPerClientIp', 'client-auth'),
      tokenPerClient: plain('tokenPerClient', 'token-client'),
      requestsPerIp: plain('requestsPerIp', 'requests-ip'),
      signUpPerIp: plain('signUpPerIp', 'signup-ip'),
      signUpGlobal: plain('signUpGlobal', 'signup-global'),
      accountEmailsPerIp: plain('accountEmailsPerIp', 'account-emails-ip'),
      clientMetadataFetchPerIp: plain('clientMetadataFetchPerIp', 'client-metadata-fetch-ip'),
      registrationPerIp: plain('registrationPerIp', 'registration-ip'),
      deviceCodePerIp: plain('deviceCodePerIp', 'device-code-ip'),
      deviceCodeGlobal: plain('deviceCodeGlobal', 'device-code-global'),
    };
    this.#requestsPerIpInProcess = redis
      ? memory('requests-ip', settings.requestsPerIp.points, settings.requestsPerIp.seconds, 0)
      : this.#limiters.requestsPerIp;
  }

  /**
   * {@link consume} on `requestsPerIp` counted in this process's memory, even with Redis: for what
   * the server answers from memory (discovery, the JWKS, static assets), which must not wait on,
   * or fail with, Redis. Each instance allows an address the whole budget there.
   */
  async consumeInProcess(limiter: 'requestsPerIp', key: string): Promise<Limited | undefined> {
    return (await this.#reserve([{ limiter, key }], () => this.#requestsPerIpInProcess)).limited;
  }

  /** Counts one request against a limit; `Limited` when it is over. Nothing is given back. */
  async consume(limiter: LimiterName, key: string): Promise<Limited | undefined> {
    return (await this.reserve([{ limiter, key }])).limited;
  }

  /**
   * Spends one point on each limit, all at once. If any refuses, the points the others took are
   * given back and the reservation is `limited` (the longest wait of those that refused).
   */
  reserve(spends: readonly Spend[]): Promise<Reservation> {
    return this.#reserve(spends, (name) => this.#limiters[name]);
  }

  /** {@link reserve} on the limiters `limiterOf` names. */
  async #reserve(spends: readonly Spend[], limiterOf: (name: LimiterName) => RateLimiterAbstract): Promise<Reservation> {
    const outcomes = await Promise.allSettled(spends.map((spend) => limiterOf(spend.limiter).consume(spend.key)));
    const counts = new Map<LimiterName, number>();
    const taken: Spend[] = [];
    // A refused attempt was never checked: the point its own limiter counted goes back too, so a
    // burst past the limit does not leave the counter above it (a success refunded later then
    // frees a real place). Not for a limiter with a lockout: there the lockout refuses until it
    // ends anyway, and rate-limiter-flexible sets the blocked counter with a plain SET, which a
    // give-back racing it would push below the limit.
    const overLimit: Spend[] = [];
    let limited: Limited | undefined;
    let failure: unknown;
    outcomes.forEach((outcome, index) => {
      const spend = spends[index]!;
      if (outcome.status === 'fulfilled') {
        taken.push(spend);
        counts.set(spend.limiter, outcome.value.consumedPoints);
      } else if (outcome.reason instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(outcome.reason.msBeforeNext / 1000));
        if (!limited || retryAfterSeconds > limited.retryAfterSeconds) limited = { limiter: spend.limiter, retryAfterSeconds };
        const limiter = limiterOf(spend.limiter);
        if (limiter.blockDuration === 0 && outcome.reason.consumedPoints > limiter.points) overLimit.push(spend);
      } else {
        failure ??= outcome.reason;
      }
    });
    // Only this attempt's own points go back: failures before it keep counting until their window ends.
    const refund = async () => {
      const spent = taken.splice(0);
      await Promise.all(spent.map((spend) => limiterOf(spend.limiter).reward(spend.key, 1)));
    };
    const giveBack = () => Promise.all([refund(), ...overLimit.map((spend) => limiterOf(spend.limiter).reward(spend.key, 1))]);
    if (failure !== undefined) {
      // The store failed (Redis down or silent): giving back waits on the same store, so it is not
      // waited for; what it cannot give back expires with its window.
      giveBack().catch(() => undefined);
      // The store's own rejection, as it came.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw failure;
    }
    if (limited) {
      await giveBack();
      counts.clear();
    }
    return { limited, count: (limiter) => counts.get(limiter) ?? 0, refund };
  }

  /**
   * What `limiter` has counted under `key` in its current window, without spending anything
   * (rate-limiter-flexible's `get`): `count` points of `points`, and `retryAfterSeconds` when
   * it refuses now (its next point would be refused, or it is locked out); `count` 0 when nothing
   * is counted. With Redis, rejects as {@link consume} does when Redis cannot answer.
   *
   * @example
   * const state = await limits.peek('signInPerAccount', accountKey(user.id, generation));
   * if (state?.retryAfterSeconds) console.log('throttled for', state.retryAfterSeconds, 's');
   */
  async peek(limiter: LimiterName, key: string): Promise<{ count: number; points: number; retryAfterSeconds: number | undefined }> {
    const rateLimiter = this.#limiters[limiter];
    const counted = await rateLimiter.get(key);
    if (!counted || counted.consumedPoints <= 0) return { count: 0, points: rateLimiter.points, retryAfterSeconds: undefined };
    // At the limit the next point is refused (a refused point is given back, so the count stays there).
    const refusing = counted.consumedPoints >= rateLimiter.points;
    return {
      count: counted.consumedPoints,
      points: rateLimiter.points,
      retryAfterSeconds: refusing ? Math.max(1, Math.ceil(counted.msBeforeNext / 1000)) : undefined,
    };
  }

  /**
   * Whether an audit event of `kind` about `key` may be recorded now: at most 10 a minute for each,
   * in this process. For events a flood would otherwise repeat endlessly (refusals, unknown clients).
   */
  async auditAllowed(kind: string, key: string): Promise<boolean> {
    try {
      await this.#auditBudget.consume(`${kind}|${key}`);
      return true;
    } catch {
      return false;
    }
  }
}
