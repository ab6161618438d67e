// What Linux says about a process (/proc): the benches' CPU and memory readings.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU time a process has used so far (user + system), in ms, from /proc/PID/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1000;
}

/** A size Linux reports for a process (its resident set now, or at its peak), in bytes. */
export const statusBytes = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(
    new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1],
  ) * 1024;

/** A process's main-thread context switches so far: voluntary (it slept) and involuntary. */
export function switches(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
  return {
    voluntary: field('voluntary_ctxt_switches'),
    involuntary: field('nonvoluntary_ctxt_switches'),
  };
}

/** The pids a process has started (its main thread's children). */
export function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
}

/**
 * Measures how much of a core each named process used while `work` ran: CPU time over wall
 * time (1 = one core kept busy the whole time; two cores allow 2 in all).
 */
export async function coresUsed<T, K extends string>(
  pids: Record<K, number>,
  work: () => Promise<T>,
): Promise<{ result: T; cores: Record<K, number> }> {
  const names = Object.keys(pids) as K[];
  const before = names.map((k) => cpuMs(pids[k]));
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  const cores = Object.fromEntries(
    names.map((k, i) => [k, +((cpuMs(pids[k]) - before[i]!) / wallMs).toFixed(2)]),
  ) as Record<K, number>;
  return { result, cores };
}
