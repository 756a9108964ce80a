/**
 * A phase of the fault matrix: what it measured (its samples, summarized), what it checked (each
 * criterion a {@link Verdict} with its figures), and PASS when every verdict holds.
 */
import { acceptable, summarize, type FlowCounts, type Outcome, type Sample, type Summary } from './load.js';

/** One criterion of a phase, with the figures that decided it. */
export interface Verdict {
  ok: boolean;
  /** What was required, e.g. "longest ≤ 5000 ms". */
  rule: string;
  /** What was measured. */
  detail: string;
}

export interface PhaseResult {
  name: string;
  ms: number;
  summary: Summary;
  /** Dependency back to first success; `null`: never within the wait; absent: not measured. */
  recoveryMs?: number | null;
  otherLoadPercent?: number;
  verdicts: Verdict[];
  notes: string[];
}

export function passed(result: PhaseResult): boolean {
  return result.verdicts.every((verdict) => verdict.ok);
}

/** "503×12 token, 500×1 refresh": outcomes counted by outcome and kind. */
function byKind(samples: readonly Sample[]): string {
  const counts = new Map<string, number>();
  for (const sample of samples) counts.set(`${sample.outcome}×${sample.kind}`, (counts.get(`${sample.outcome}×${sample.kind}`) ?? 0) + 1);
  return [...counts]
    .map(([key, n]) => {
      const [outcome, kind] = key.split('×');
      return `${outcome}×${n} ${kind}`;
    })
    .join(', ');
}

/** Every answer a 2xx, a 3xx or a 503 (refused connections, resets and timeouts are judged apart). */
export function answeredOk(samples: readonly Sample[]): Verdict {
  const bad = samples.filter((sample) => typeof sample.outcome === 'number' && !acceptable(sample.outcome));
  return { ok: bad.length === 0, rule: 'answers 2xx/3xx or 503 only', detail: bad.length === 0 ? 'yes' : byKind(bad) };
}

/**
 * No request lost: no reset and no timeout. A refused connection (nothing listening: an instance
 * that stopped) is lost only when `refusedIsLost`, as for a process that must keep serving.
 */
export function nothingLost(samples: readonly Sample[], refusedIsLost = false): Verdict {
  const lost = (outcome: Outcome) => outcome === 'reset' || outcome === 'timeout' || (refusedIsLost && outcome === 'refused');
  const bad = samples.filter((sample) => lost(sample.outcome));
  return {
    ok: bad.length === 0,
    rule: refusedIsLost ? 'no reset, refusal or timeout' : 'no reset or timeout',
    detail: bad.length === 0 ? 'none' : byKind(bad),
  };
}

export function withinDeadline(samples: readonly Sample[], deadlineMs: number): Verdict {
  const { longestMs, longest } = summarize(samples);
  return { ok: longestMs <= deadlineMs, rule: `longest ≤ ${deadlineMs} ms`, detail: `${longestMs} ms (${longest || 'no request'})` };
}

export function recoveredWithin(recovery: number | null | undefined, targetMs: number): Verdict {
  return {
    ok: typeof recovery === 'number' && recovery <= targetMs,
    rule: `back ≤ ${targetMs} ms after the dependency`,
    detail: typeof recovery === 'number' ? `${recovery} ms` : 'no success after it came back',
  };
}

/** Sign-ins that broke without a failed request to explain them. */
export function flowsExplained(flows: FlowCounts): Verdict {
  return {
    ok: flows.unexplained === 0,
    rule: 'every broken sign-in explained by a failed request',
    detail: flows.unexplained === 0 ? `${flows.completed}/${flows.started} flows completed` : `${flows.unexplained} unexplained: ${flows.messages.join(' | ')}`,
  };
}

/** Some requests were served: a phase whose load never got a 200 proves nothing. */
export function served(samples: readonly Sample[]): Verdict {
  const ok = samples.filter((sample) => sample.outcome === 200).length;
  return { ok: ok > 0, rule: 'load was served', detail: `${ok} × 200` };
}

export function check(ok: boolean, rule: string, detail: string): Verdict {
  return { ok, rule, detail };
}
