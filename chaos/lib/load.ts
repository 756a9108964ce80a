/**
 * The bounded mixed load of `npm run chaos`: a few closed loops per instance (client credentials,
 * introspection, a full browser sign-in with code redemption and two refreshes), each pausing
 * between requests, plus an optional open-loop probe (a client-credentials request to every
 * instance every `probeEveryMs`, whatever the previous ones are doing) that times the recovery
 * after a fault. Every HTTP request is recorded as a {@link Sample}, with a per-request timeout.
 */
import { basicAuth, type RunningServer } from '../../test/helpers/cli.js';
import { authorizationUrl, pkce, REDIRECT_URI, signInAt, sleep, type ScaleClient, type ScaleUser } from '../../test/helpers/scale.js';
import { UserAgent } from '../../test/helpers/user-agent.js';

/** An HTTP status, or how the request failed without one. */
export type Outcome = number | 'reset' | 'refused' | 'timeout';

/** What a request was for. `sign-in` covers every page and form of the browser flow. */
export type Kind = 'token' | 'introspect' | 'sign-in' | 'code' | 'refresh' | 'probe';

export interface Sample {
  /** The instance's name. */
  node: string;
  kind: Kind;
  /** Method and path, ids left out: `POST /interaction/:id/login`. */
  request: string;
  /** `Date.now()` when sent and when the answer's headers (or the failure) came. */
  start: number;
  end: number;
  outcome: Outcome;
}

/** An instance under load. `server` is read before every request: a restart may replace it. */
export interface Target {
  name: string;
  server: RunningServer;
  /** The user its sign-in loop signs in as (one per instance: per-account limits stay out of the way). */
  user: ScaleUser;
}

export interface LoadSpec {
  targets: Target[];
  /** A client_credentials client (scope `api:read`). */
  machine: ScaleClient;
  /** A web client with {@link REDIRECT_URI}. */
  web: ScaleClient;
  /** A request without an answer after this long is cut off and counted as a timeout. */
  timeoutMs: number;
  /** Client-credentials loops per instance. */
  tokenLoops: number;
  /** Pause of each loop between two requests. */
  pauseMs: number;
  /** The open-loop probe's interval; 0: no probe. */
  probeEveryMs: number;
}

/** Flows of the sign-in loops. A flow that broke without a failed request to explain it is `unexplained`. */
export interface FlowCounts {
  started: number;
  completed: number;
  unexplained: number;
  /** The first few unexplained breaks' messages. */
  messages: string[];
}

/** A network failure of `fetch`, classified. */
function classify(error: unknown): Exclude<Outcome, number> {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return cause?.code === 'ECONNREFUSED' ? 'refused' : 'reset';
}

/** Whether an outcome is an answer the fault matrix accepts: any 2xx or 3xx, or 503. */
export function acceptable(outcome: Outcome): boolean {
  return typeof outcome === 'number' && ((outcome >= 200 && outcome < 400) || outcome === 503);
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export class Load {
  readonly samples: Sample[] = [];
  readonly flows: FlowCounts = { started: 0, completed: 0, unexplained: 0, messages: [] };
  readonly #spec: LoadSpec;
  /** The newest access token per instance, for the introspection loop. */
  readonly #tokens = new Map<string, string>();
  #stopped = false;
  readonly #loops: Promise<void>[] = [];

  private constructor(spec: LoadSpec) {
    this.#spec = spec;
  }

  static start(spec: LoadSpec): Load {
    const load = new Load(spec);
    for (const target of spec.targets) {
      for (let i = 0; i < spec.tokenLoops; i += 1) load.#loops.push(load.#tokenLoop(target));
      load.#loops.push(load.#introspectionLoop(target), load.#signInLoop(target));
    }
    if (spec.probeEveryMs > 0) load.#loops.push(load.#probe());
    return load;
  }

  /** Ends every loop after its current request (bounded by the timeout); the samples. */
  async stop(): Promise<Sample[]> {
    this.#stopped = true;
    await Promise.all(this.#loops);
    return this.samples;
  }

  /** `fetch` with the timeout, recording each request (into `also` too, when given). */
  #fetch(target: Target, kind: Kind, also?: Sample[]): typeof fetch {
    return async (input, init) => {
      const start = Date.now();
      const url = new URL(input instanceof Request ? input.url : input);
      const request = `${init?.method ?? 'GET'} ${url.pathname.replace(/\/interaction\/[^/]+/, '/interaction/:id')}`;
      const record = (outcome: Outcome) => {
        const sample = { node: target.name, kind, request, start, end: Date.now(), outcome };
        this.samples.push(sample);
        also?.push(sample);
      };
      try {
        const response = await fetch(input, { ...init, signal: AbortSignal.timeout(this.#spec.timeoutMs) });
        record(response.status);
        return response;
      } catch (error) {
        record(classify(error));
        throw error;
      }
    };
  }

  /** POSTs a form as `client`; `undefined` when no answer came. */
  async #post(target: Target, kind: Kind, path: string, form: Record<string, string>, client: ScaleClient): Promise<Answer | undefined> {
    try {
      const response = await this.#fetch(target, kind)(`http://127.0.0.1:${target.server.port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.clientId, client.clientSecret) },
        body: new URLSearchParams(form),
      });
      const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      return { status: response.status, body };
    } catch {
      return undefined;
    }
  }

  /** A short pause, longer after a failure (a refused connection fails at once: no busy loop). */
  #pause(answer: Answer | undefined): Promise<void> {
    return sleep(answer === undefined ? Math.max(100, this.#spec.pauseMs) : this.#spec.pauseMs);
  }

  async #clientCredentials(target: Target, kind: Kind): Promise<Answer | undefined> {
    const answer = await this.#post(target, kind, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, this.#spec.machine);
    if (answer?.status === 200 && typeof answer.body.access_token === 'string') this.#tokens.set(target.name, answer.body.access_token);
    return answer;
  }

  async #tokenLoop(target: Target): Promise<void> {
    while (!this.#stopped) await this.#pause(await this.#clientCredentials(target, 'token'));
  }

  async #introspectionLoop(target: Target): Promise<void> {
    while (!this.#stopped) {
      const token = this.#tokens.get(target.name);
      if (token === undefined) {
        await sleep(50);
        continue;
      }
      await this.#pause(await this.#post(target, 'introspect', '/introspect', { token }, this.#spec.machine));
    }
  }

  /** Full sign-ins in a fresh browser (password, remembered consent), then the code, then two refreshes. */
  async #signInLoop(target: Target): Promise<void> {
    const { web } = this.#spec;
    while (!this.#stopped) {
      this.flows.started += 1;
      const requests: Sample[] = [];
      const instance = { port: target.server.port };
      const { verifier, challenge } = pkce();
      try {
        const { code } = await signInAt(
          new UserAgent(this.#fetch(target, 'sign-in', requests)),
          instance,
          authorizationUrl(instance, web, challenge),
          target.user,
        );
        const tokens = await this.#post(
          target,
          'code',
          '/token',
          { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI },
          web,
        );
        let refreshToken = tokens?.status === 200 ? tokens.body.refresh_token : undefined;
        for (let i = 0; i < 2 && typeof refreshToken === 'string'; i += 1) {
          const refreshed = await this.#post(target, 'refresh', '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, web);
          refreshToken = refreshed?.status === 200 ? refreshed.body.refresh_token : undefined;
          if (refreshToken === undefined) break;
          if (i === 1) this.flows.completed += 1;
        }
        await sleep(this.#spec.pauseMs * 4);
      } catch (error) {
        // A page the flow did not expect is explained by a failed request before it (a 503 page,
        // a reset); one that is not (a 200 "expired" page, a form shown twice) is a finding.
        if (requests.every((sample) => sample.outcome !== 503 && acceptable(sample.outcome))) {
          this.flows.unexplained += 1;
          const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
          if (this.flows.messages.length < 3) this.flows.messages.push(first.slice(0, 160));
        }
        await sleep(Math.max(100, this.#spec.pauseMs));
      }
    }
  }

  /** Open loop: one client-credentials request per instance every `probeEveryMs`, not waiting for answers. */
  async #probe(): Promise<void> {
    const pending = new Set<Promise<unknown>>();
    while (!this.#stopped) {
      for (const target of this.#spec.targets) {
        const request = this.#clientCredentials(target, 'probe');
        pending.add(request);
        void request.finally(() => pending.delete(request));
      }
      await sleep(this.#spec.probeEveryMs);
    }
    await Promise.all(pending);
  }
}

/** Counts of a set of samples. */
export interface Summary {
  requests: number;
  /** Answers by status, and failures by kind (`reset`, `refused`, `timeout`). */
  outcomes: Map<Outcome, number>;
  longestMs: number;
  /** Kind and outcome of the longest request. */
  longest: string;
}

export function summarize(samples: readonly Sample[]): Summary {
  const outcomes = new Map<Outcome, number>();
  let longestMs = 0;
  let longest = '';
  for (const sample of samples) {
    outcomes.set(sample.outcome, (outcomes.get(sample.outcome) ?? 0) + 1);
    const ms = sample.end - sample.start;
    if (ms > longestMs) {
      longestMs = ms;
      longest = `${sample.request} (${sample.kind}) at ${sample.node}, ${sample.outcome}`;
    }
  }
  return { requests: samples.length, outcomes, longestMs, longest };
}

/**
 * The time from `returnAt` (the dependency is back) to the first successful probe sent after it,
 * for the slowest instance; `undefined` if an instance had none.
 */
export function recoveryMs(samples: readonly Sample[], returnAt: number, nodes: readonly string[]): number | undefined {
  let slowest = 0;
  for (const node of nodes) {
    const first = samples.filter((sample) => sample.node === node && sample.kind === 'probe' && sample.start >= returnAt && sample.outcome === 200);
    if (first.length === 0) return undefined;
    slowest = Math.max(slowest, Math.min(...first.map((sample) => sample.end)) - returnAt);
  }
  return slowest;
}
