/**
 * What else kept the machine busy during a phase, measured as bench/ measures it (bench/lib/proc.mjs):
 * the machine's busy CPU time minus the time of this run's own processes (this one and its parent,
 * the Gatehouse instances and their workers, the Redis servers it started, and the PostgreSQL
 * backends of Gatehouse connections seen at the start or end of the phase), in percent of one core.
 * The processes of the run that ended during the phase (a worker replaced, an instance or a Redis
 * killed) count through their parent, which waited for them (its children's CPU time).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds, machineBusySeconds } from '../../bench/lib/proc.mjs';
import { adminQuery } from '../../test/helpers/postgres.js';

/** `pid` and every process below it (node:cluster workers), from /proc. */
export function withDescendants(pids: readonly number[]): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found = new Set<number>();
  const visit = (pid: number) => {
    if (found.has(pid)) return;
    found.add(pid);
    for (const child of parents.get(pid) ?? []) visit(child);
  };
  for (const pid of pids) visit(pid);
  return [...found];
}

/** PostgreSQL backends serving Gatehouse connections now (other Gatehouse tests on the machine included). */
async function gatehouseBackends(): Promise<number[]> {
  try {
    const rows = await adminQuery<{ pid: number }>("select pid from pg_stat_activity where application_name = 'gatehouse'");
    return rows.map((row) => row.pid);
  } catch {
    return [];
  }
}

function cpuOf(pid: number): number | undefined {
  try {
    return cpuSeconds(pid, { reapedChildren: true });
  } catch {
    return undefined;
  }
}

/** CPU seconds of each process now. */
function snapshot(pids: readonly number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    const cpu = cpuOf(pid);
    if (cpu !== undefined) seconds.set(pid, cpu);
  }
  return seconds;
}

export class CpuMeter {
  readonly #started = Date.now();
  readonly #machine = machineBusySeconds();
  readonly #before: Map<number, number>;
  /** This process and what it started: each one that ends is waited for by its parent, here. */
  readonly #tree: ReadonlySet<number>;

  private constructor(before: Map<number, number>, tree: ReadonlySet<number>) {
    this.#before = before;
    this.#tree = tree;
  }

  /** Starts measuring; `pids` are the run's own processes now (descendants are added). */
  static async start(pids: readonly number[]): Promise<CpuMeter> {
    const tree = [process.pid, ...withDescendants(pids)];
    return new CpuMeter(snapshot([process.ppid, ...tree, ...(await gatehouseBackends())]), new Set(tree));
  }

  /**
   * Other load since the start, in percent of one core. `pids`: the run's processes now; one that
   * started during the phase counts whole. One of the run's that ended in it counts through its
   * parent, whose children's time then holds its whole life: what it had used before the phase is
   * taken off again.
   */
  async stop(pids: readonly number[]): Promise<number> {
    const seconds = (Date.now() - this.#started) / 1000;
    const after = snapshot([process.ppid, process.pid, ...withDescendants(pids), ...(await gatehouseBackends())]);
    let own = 0;
    for (const [pid, cpu] of after) own += cpu - (this.#before.get(pid) ?? 0);
    for (const [pid, cpu] of this.#before) if (this.#tree.has(pid) && !after.has(pid)) own -= cpu;
    const machine = machineBusySeconds() - this.#machine;
    return seconds > 0 ? (100 * Math.max(0, machine - own)) / seconds : 0;
  }
}
