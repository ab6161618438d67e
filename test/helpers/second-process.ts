import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../server/config.ts';
import { createDeps, type Deps } from '../../server/deps.ts';
import type { Clock } from '../../server/domain/shared/clock.ts';
import { heraldChild, heraldNode, registerChild } from './children.ts';
import type { TestContext } from './deps.ts';

/**
 * Another Herald "process" on the same database file: its own libSQL client, connections and
 * caches, as after a restart or with two instances behind a load balancer.
 */
export async function openSecondDeps(t: TestContext, clock: Clock = t.clock): Promise<Deps> {
  const config = loadConfig({
    DATABASE_URL: t.dbUrl,
    PUBLIC_URL: 'https://status.example.com',
    PAGE_NAME: 'Acme',
    LOG_LEVEL: 'silent',
  });
  return createDeps(config, { clock });
}

export interface SchedulerReport {
  published: { updateId: string }[];
  reminders: unknown[];
  holding: unknown[];
  maintenance: unknown[];
  errors: unknown[];
}

/**
 * Starts `count` real scheduler processes on one database and brings each up to its first pass
 * (database open, migrations run), where it waits. `go()` releases them all at once and returns
 * their reports: the processes race on the same rows instead of one finishing before the next
 * has started.
 */
export async function readySchedulerProcesses(
  dbUrl: string,
  at: Date,
  count: number,
  passes = 1,
): Promise<{ go(): Promise<SchedulerReport[]> }> {
  const { spawn } = await import('node:child_process');
  const script = fileURLToPath(new URL('./scheduler-process.ts', import.meta.url));
  const children = Array.from({ length: count }, () => {
    const child = spawn(heraldNode, heraldChild(script, dbUrl, at.toISOString(), String(passes)), {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    registerChild(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const ready = new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (out.startsWith('ready\n')) {
          child.stdout.off('data', onData);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.on('exit', (code) =>
        reject(new Error(`scheduler process exited ${code} before it was ready\n${err}`)),
      );
    });
    const report = new Promise<SchedulerReport>((resolve, reject) =>
      child.on('exit', (code) => {
        if (code === 0) resolve(JSON.parse(out.slice('ready\n'.length)) as SchedulerReport);
        else reject(new Error(`scheduler process exited ${code}\n${err}`));
      }),
    );
    return { child, ready, report };
  });
  try {
    await Promise.all(children.map((c) => c.ready));
  } catch (e) {
    for (const c of children) c.child.kill('SIGKILL');
    throw e;
  }
  return {
    go() {
      for (const c of children) c.child.stdin.end('go\n');
      return Promise.all(children.map((c) => c.report));
    },
  };
}

/** Runs scheduler passes in a real child process (its own connections) and returns the reports. */
export async function runSchedulerProcess(
  dbUrl: string,
  at: Date,
  passes = 1,
): Promise<SchedulerReport> {
  const [report] = await (await readySchedulerProcesses(dbUrl, at, 1, passes)).go();
  return report!;
}
