import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { heraldChild, heraldNode as node, registerChild } from './children.ts';

/**
 * Starts a real second process that holds the database's write lock for `ms` (or, with
 * 'until-released', until `release()`); resolves once it holds it. `released` resolves when it
 * has let go.
 */
export async function holdWriteLock(dbUrl: string, ms: number | 'until-released') {
  const file = dbUrl.replace(/^file:/, '');
  const child = spawn(
    node,
    [
      fileURLToPath(new URL('./hold-write-lock.ts', import.meta.url)),
      file,
      ms === 'until-released' ? 'stdin' : String(ms),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  registerChild(child);
  let out = '';
  const released = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('locked')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited ${code} before locking`)));
  });
  return {
    released,
    /** Lets go now (a lock held 'until-released'). */
    release: () => void child.stdin!.end(),
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * A real Herald outbox process (test/helpers/outbox-process.ts); resolves once it runs. Its
 * claims hold for `leaseMs` (the outbox's own default, 15 s, unless given).
 */
export async function startOutboxProcess(
  dbUrl: string,
  smtpUrl: string,
  opts: { leaseMs?: number } = {},
) {
  const script = fileURLToPath(new URL('./outbox-process.ts', import.meta.url));
  const lease = opts.leaseMs === undefined ? [] : ['2', String(opts.leaseMs)];
  const child = spawn(node, heraldChild(script, dbUrl, smtpUrl, ...lease), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  registerChild(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('started')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`outbox process exited ${code} before starting`)));
  });
  return {
    pid: child.pid!,
    exited,
    /** kill -9: no cleanup, no outcome recorded. */
    crash: () => child.kill('SIGKILL'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A real Herald webhook lane (test/helpers/webhook-process.ts); resolves once it runs. */
export async function startWebhookProcess(dbUrl: string, backoffMs = 100, leaseMs = 2000) {
  const child = spawn(
    node,
    heraldChild(
      fileURLToPath(new URL('./webhook-process.ts', import.meta.url)),
      dbUrl,
      String(backoffMs),
      String(leaseMs),
    ),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  registerChild(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('started')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`webhook process exited ${code} before starting`)));
  });
  return {
    exited,
    /** kill -9: no cleanup, no outcome recorded. */
    crash: () => child.kill('SIGKILL'),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A real Herald API process on the database (test/helpers/api-process.ts). */
export async function startApiProcess(dbUrl: string) {
  const child = spawn(
    node,
    heraldChild(fileURLToPath(new URL('./api-process.ts', import.meta.url)), dbUrl),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  registerChild(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { port: number }).port);
    });
    child.on('exit', (code) => reject(new Error(`api process exited ${code} before listening`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    exited,
    /** SIGTERM: a graceful stop, as a deploy does. */
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    /** kill -9: nothing is cleaned up or recorded. */
    crash: async () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}
