import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The child processes the running test file started and that still run: a second Herald, a
 * site, a lock holder, chromium, varnishd, alertmanager, a CLI. Every helper or test that starts
 * one registers it here, and test/helpers/reap-children.ts kills what is left when the file
 * ends, after the file's own graceful stops. A test that times out never reaches its own
 * `finally`; without this its child would outlive the file, hold its ports and database, and
 * keep the worker (shared with the files after it) from ever exiting.
 */
const live = new Set<{ running(): boolean; kill(): void }>();

/** The pinned Node 24 that `npm start` runs Herald on. */
export const heraldNode = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));

const boot = fileURLToPath(new URL('./child-boot.ts', import.meta.url));

/**
 * node's arguments to run a test's child script (`script`, a path, then its `args`) that loads
 * Herald's code: test/helpers/child-boot.ts first, so the child loads Herald as server/main.ts
 * does (compile cache, module hooks) and costs a third of the CPU to start.
 */
export function heraldChild(script: string, ...args: string[]): string[] {
  return ['--import', boot, script, ...args];
}

/** Registers `child` to be killed when the test file ends, if it is still running then. */
export function registerChild<T extends ChildProcess>(child: T): T {
  const running = () => child.exitCode === null && child.signalCode === null;
  if (!running()) return child;
  const entry = { running, kill: () => child.kill('SIGKILL') };
  live.add(entry);
  child.once('exit', () => live.delete(entry));
  return child;
}

/**
 * Registers a process group this process started through a library that does not hand out its
 * child (playwright starts chromium as the leader of a group of its own): the whole group goes
 * when the file ends, or, for `'worker'`, when this worker process ends (the chromium that the
 * files of one worker share, test/helpers/browser.ts). A worker is stopped with SIGTERM, which
 * ends a process without its 'exit' listeners: the group is killed on that signal too. Returns
 * a function that forgets the group.
 */
export function registerProcessGroup(pid: number, until: 'file' | 'worker' = 'file'): () => void {
  const running = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const kill = () => process.kill(-pid, 'SIGKILL');
  if (until === 'file') {
    const entry = { running, kill };
    live.add(entry);
    return () => live.delete(entry);
  }
  const killQuietly = () => {
    try {
      kill();
    } catch {
      // Already gone.
    }
  };
  const onTerm = () => {
    killQuietly();
    process.off('SIGTERM', onTerm);
    // Ends this process as the signal would have without the listener.
    process.kill(process.pid, 'SIGTERM');
  };
  process.once('exit', killQuietly);
  process.on('SIGTERM', onTerm);
  // Once the group has ended by itself (a crash), its number may be reused: forget it.
  return () => {
    process.off('exit', killQuietly);
    process.off('SIGTERM', onTerm);
  };
}

/** This process's children (Linux /proc): each one's pid and its process group. */
export function childProcesses(): Map<number, { group: number }> {
  const children = new Map<number, { group: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name (field 2) is in parentheses and may hold spaces; the state, the
      // parent's pid and the process group follow it.
      const [, ppid, group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid) children.set(Number(name), { group: Number(group) });
    } catch {
      // The process ended while the list was read.
    }
  }
  return children;
}

/** Kills every registered child still running (SIGKILL); returns how many there were. */
export function killRegisteredChildren(): number {
  const left = [...live].filter((c) => c.running());
  live.clear();
  for (const c of left) {
    try {
      c.kill();
    } catch {
      // Gone between the check and the kill.
    }
  }
  return left.length;
}
