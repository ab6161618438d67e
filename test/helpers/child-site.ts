import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Herald's site in a child process (test/helpers/site-process.ts), with its resident memory. */
export async function startChildSite(): Promise<{
  base: string;
  rssBytes(): number;
  stop(): Promise<void>;
}> {
  const node = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
  const script = fileURLToPath(new URL('./site-process.ts', import.meta.url));
  const child: ChildProcess = spawn(node, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line!) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`site process exited with ${code}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
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
