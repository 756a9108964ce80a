/**
 * Per-process CPU time and peak RSS from Linux's /proc, so each server is measured alone even
 * though all of them (and the load generator) share the machine.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) the process has used so far; with `reapedChildren`, also those of
 * its children that ended and that it waited for (cutime and cstime: a worker replaced, a server
 * killed), which no longer have a /proc entry of their own.
 */
export function cpuSeconds(pid, { reapedChildren = false } = {}) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime and cstime are fields 14 to 17 of the whole line: 12 to 15 after "(comm) ".
  const own = Number(fields[11]) + Number(fields[12]);
  return (reapedChildren ? own + Number(fields[13]) + Number(fields[14]) : own) / TICKS_PER_SECOND;
}

/** Peak resident set size in MiB (VmHWM) since the process started or since {@link resetPeak}. */
export function peakRssMiB(pid) {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : undefined;
}

/** Starts a new peak-RSS period (Linux ≥ 4.0: writing 5 to clear_refs resets VmHWM); false if refused. */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU seconds the whole machine has been busy (all cores; steal included, as time this machine
 * wanted but did not get). Minus what the measured processes used, it shows other load.
 */
export function machineBusySeconds() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** CPU the machine spends on other things while this process is idle, in percent of one core. */
export async function idleMachineLoad(seconds) {
  const before = machineBusySeconds();
  const self = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const own = process.cpuUsage(self);
  return (100 * Math.max(0, machineBusySeconds() - before - (own.user + own.system) / 1e6)) / seconds;
}

/** The CPU model, for the report. */
export function cpuModel() {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match ? match[1].trim() : 'unknown';
  } catch {
    return 'unknown';
  }
}
