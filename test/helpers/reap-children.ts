// Every child process a test file starts (a second Herald, a site, chromium, varnish) is killed
// when the file ends, whatever the file did. A test that times out never reaches its own
// `finally`; its child would keep the worker's pipes open, the worker would never exit and the
// whole run would hang after printing its summary.
import childProcess, { type ChildProcess } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll } from 'vitest';

const children = new Set<ChildProcess>();
const spawn = childProcess.spawn;
childProcess.spawn = function (this: unknown, ...args: unknown[]) {
  const child = (spawn as (...a: unknown[]) => ChildProcess).apply(this, args);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
} as typeof childProcess.spawn;
// `import { spawn } from 'node:child_process'` in the test files sees the wrapper too.
syncBuiltinESMExports();

// Registered before any test file's hooks, so it runs after them: a file's own graceful stops
// come first, and only what they left is killed.
afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});
