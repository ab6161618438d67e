import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const node = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));

/**
 * Starts a real second process that holds the database's write lock for `ms`; resolves once it
 * holds it. `released` resolves when it has let go.
 */
export async function holdWriteLock(dbUrl: string, ms: number) {
  const file = dbUrl.replace(/^file:/, '');
  const child = spawn(
    node,
    [fileURLToPath(new URL('./hold-write-lock.ts', import.meta.url)), file, String(ms)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const released = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('locked')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited ${code} before locking`)));
  });
  return { released, kill: () => child.kill('SIGKILL') };
}
