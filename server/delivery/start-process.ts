import { type ChildProcess, fork } from 'node:child_process';
import { COMPILE_CACHE_DIR } from '../boot/compile-cache.ts';
import { DELIVERY_FLAGS, NODE_ENV } from '../boot/process-options.ts';
import type { Logger } from '../logger.ts';
import type { StopReport } from './lane.ts';
import type { DeliveryProcessCommand, DeliveryProcessMessage } from './run-process.ts';

export interface DeliveryProcess {
  /** Resolves once the first delivery process's lanes run; rejects if it dies before that. */
  started: Promise<void>;
  /** A graceful stop of both lanes (and no more restarts); resolves with what they did. */
  stop(): Promise<{ mail: StopReport; hooks: StopReport }>;
  /** Kills the delivery process at once (an operator's second signal). */
  kill(): void;
  /** Why nothing is being sent right now, or null while the delivery process runs. */
  down(): string | null;
  /** The running delivery process's pid (for its memory and CPU in /proc). */
  pid(): number | undefined;
  /**
   * This process has just committed a write that may have queued email or webhook posts: the
   * delivery process looks now instead of at its next poll (one message per turn of the event
   * loop, however many writes it saw).
   */
  due(): void;
}

/** The first restart after a death waits this long, doubling to the most below. */
const RESTART_FIRST_MS = 1000;
const RESTART_MOST_MS = 60_000;
/** A process that ran this long before it died starts again after the first delay. */
const RAN_WELL_MS = 60_000;

const nothing: StopReport = { handedBack: 0, finished: 0, unrecorded: 0 };

/**
 * Starts the delivery wing in its own process (process.ts) with the V8 flags, environment and
 * compile cache `npm start` gives the server's, whatever started the server: its memory is what
 * the broadcast benchmark measures. It speaks over Node's IPC channel (run-process.ts).
 *
 * A delivery process that dies (a crash, the OOM killer, a kill by hand) is logged and started
 * again after a back-off, 1 s doubling to 60 s; `down()` says so meanwhile (/healthz answers 503
 * with it). Its rows come back to the new one when their lease runs out.
 */
export function startDeliveryProcess(
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  /** Node flags added to the process's own, e.g. a benchmark's `--cpu-prof`; none by default. */
  extraFlags: readonly string[] = [],
): DeliveryProcess {
  const entry = new URL('./process.ts', import.meta.url);
  let child: ChildProcess | null = null;
  let report: { mail: StopReport; hooks: StopReport } | null = null;
  let up = false;
  let downReason: string | null = null;
  let stopping = false;
  let restart: NodeJS.Timeout | null = null;
  let delay = RESTART_FIRST_MS;
  let ranSince = 0;
  let resolveStarted!: () => void;
  let rejectStarted!: (err: Error) => void;
  const started = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  let everStarted = false;
  let duePending = false;

  function spawnChild() {
    restart = null;
    report = null;
    const c = fork(entry, [], {
      execPath: process.execPath,
      // Its own flags, never the server's (an --inspect port, a profiler's).
      execArgv: [...DELIVERY_FLAGS, ...extraFlags],
      env: {
        ...env,
        ...NODE_ENV,
        NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE || COMPILE_CACHE_DIR,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = c;
    c.on('message', (m: DeliveryProcessMessage) => {
      if (m.type === 'started') {
        up = true;
        downReason = null;
        ranSince = Date.now();
        log.info(`Delivery: the delivery process runs (pid ${c.pid}).`);
        everStarted = true;
        resolveStarted();
      } else if (m.type === 'stopped') report = { mail: m.mail, hooks: m.hooks };
    });
    // A message to a process that has just gone: its 'close' below says what happened.
    c.on('error', (err) => log.debug('delivery process IPC', { error: String(err) }));
    // 'close', not 'exit': it comes after the IPC channel has delivered everything sent on it.
    c.once('close', (code, signal) => {
      child = null;
      up = false;
      if (stopping) return;
      const how = signal ? `killed by ${signal}` : `exit code ${code}`;
      if (!everStarted) {
        rejectStarted(new Error(`The delivery process could not start (${how}): see above.`));
        return;
      }
      if (ranSince && Date.now() - ranSince >= RAN_WELL_MS) delay = RESTART_FIRST_MS;
      const at = new Date(Date.now() + delay).toISOString();
      downReason = `the delivery process stopped (${how}); Herald starts it again at ${at}`;
      log.error(
        `Delivery: the delivery process (pid ${c.pid}) stopped (${how}): nothing is sent until it runs again; starting it again in ${delay / 1000} s.`,
      );
      restart = setTimeout(spawnChild, delay);
      delay = Math.min(delay * 2, RESTART_MOST_MS);
    });
  }
  spawnChild();

  return {
    started,
    down: () => (up || stopping ? null : (downReason ?? 'the delivery process is starting')),
    kill: () => void child?.kill('SIGKILL'),
    due() {
      if (duePending || !up || stopping) return;
      duePending = true;
      setImmediate(() => {
        duePending = false;
        const c = child;
        if (up && !stopping && c?.connected)
          c.send({ type: 'due' } satisfies DeliveryProcessCommand, () => {});
      });
    },
    pid: () => child?.pid,
    stop() {
      stopping = true;
      if (restart) clearTimeout(restart);
      restart = null;
      const c = child;
      if (!c) return Promise.resolve(report ?? { mail: nothing, hooks: nothing });
      return new Promise((resolve, reject) => {
        c.once('close', (code, signal) => {
          if (report) resolve(report);
          else
            reject(
              new Error(`the delivery process exited (${signal ?? code}) before it had stopped`),
            );
        });
        // It may be stopping already on its own signal (a service manager signals the group).
        if (c.connected) c.send({ type: 'stop' } satisfies DeliveryProcessCommand, () => {});
      });
    },
  };
}
