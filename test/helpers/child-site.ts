import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { heraldChild, heraldNode, registerChild } from './children.ts';

/** Herald's site in a child process (test/helpers/site-process.ts), with its resident memory. */
export async function startChildSite(opts: { session?: boolean } = {}): Promise<{
  base: string;
  /** The cookie value of a signed-in admin's session (with `session: true`). */
  session: string | undefined;
  rssBytes(): number;
  stop(): Promise<void>;
}> {
  const node = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
  const script = fileURLToPath(new URL('./site-process.ts', import.meta.url));
  const child: ChildProcess = spawn(node, [script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HERALD_TEST_SESSION: opts.session ? '1' : '' },
  });
  registerChild(child);
  const { port, session } = await new Promise<{ port: number; session?: string }>(
    (resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n')) resolve(JSON.parse(line!) as { port: number; session?: string });
      });
      child.once('exit', (code) => reject(new Error(`site process exited with ${code}`)));
    },
  );
  return {
    base: `http://127.0.0.1:${port}`,
    session,
    // VmRSS from /proc: the child's resident set as the kernel counts it, in kB.
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A second Herald site in a child process (test/helpers/site-on-db-process.ts) on the test's own
 * database, its clock at `at` (the test's clock, so sessions and expiries agree): two processes
 * behind one load balancer.
 */
export async function startSiteOnDatabase(dbUrl: string, at: Date) {
  const script = fileURLToPath(new URL('./site-on-db-process.ts', import.meta.url));
  const child: ChildProcess = spawn(heraldNode, heraldChild(script, dbUrl, at.toISOString()), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  registerChild(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`site process exited with ${code}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
