import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { registerChild } from './children.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const node = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));

/**
 * Herald itself (`server/main.ts`, as `npm start` runs it) in a child process on the database
 * `dbUrl`, listening on a free port; its log lines are collected so a test can wait for one.
 */
export async function startHerald(dbUrl: string, env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(node, ['server/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: dbUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_URL: 'https://status.example.com',
      PAGE_NAME: 'Acme',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registerChild(child);
  let log = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const onData = (d: Buffer) => {
    log += d.toString();
    for (const w of [...waiters])
      if (w.re.test(log)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // The delivery process writes to the same pipes: they close once it has exited too.
  const outputClosed = new Promise<void>((resolve) => child.stdout!.on('close', () => resolve()));
  /** Resolves when the log (so far or later) matches; rejects if the process exits first. */
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (re.test(log)) return resolve();
      waiters.push({ re, resolve });
      void exited.then((code) => reject(new Error(`Herald exited ${code} before ${re}:\n${log}`)));
    });
  await waitFor(/Herald is running at/);
  const port = Number(/listening on [^\s]+:(\d+)/.exec(log)?.[1]);
  return {
    waitFor,
    exited,
    outputClosed,
    base: `http://127.0.0.1:${port}`,
    /** The pid of the delivery process Herald started most recently. */
    deliveryPid: () => Number([...log.matchAll(/delivery process runs \(pid (\d+)\)/g)].pop()?.[1]),
    get log() {
      return log;
    },
    signal: (s: NodeJS.Signals) => child.kill(s),
    crash: () => child.kill('SIGKILL'),
  };
}
export type HeraldProcess = Awaited<ReturnType<typeof startHerald>>;
