// Every child process a test file started and registered (test/helpers/children.ts: a second
// Herald, a site, chromium, varnishd...) is killed when the file ends, whatever the file did. A
// test that times out never reaches its own `finally`; its child would keep running beside the
// next file in the same worker, and keep the worker from exiting after the run.
import { afterAll } from 'vitest';
import { killRegisteredChildren } from './children.ts';

// A set-up file runs again before every test file, and its hooks are registered before the
// file's own, so this runs after them: a file's own graceful stops come first, and only what
// they left is killed.
afterAll(() => {
  killRegisteredChildren();
});
