// A whole Herald server as `npm start` runs it, for the benchmarks that measure it from outside:
// server/main.ts with Herald's V8 flags and environment (server/boot/process-options.ts) and
// Node's compile cache, on a free port of 127.0.0.1, plus an admin API token to drive it.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { COMPILE_CACHE_DIR } from '../server/boot/compile-cache.ts';
import { NODE_ENV, SERVER_FLAGS } from '../server/boot/process-options.ts';
import { createApiToken } from '../server/domain/auth/api-tokens.ts';
import type { DomainDeps } from '../server/domain/shared/deps.ts';
import { freePort } from '../test/edge/edge-harness.ts';

/** An admin token for the benchmark's own calls to the admin API; returns its bearer secret. */
export async function benchAdminToken(deps: DomainDeps): Promise<string> {
  const { secret } = await createApiToken(
    deps,
    { name: 'bench', role: 'admin' },
    { type: 'cli', id: null, label: 'bench', role: 'admin' },
  );
  return secret;
}

export interface WholeServer {
  child: ChildProcess;
  base: string;
  /** What the server printed so far. */
  output(): string;
  /** SIGTERM, then its exit. */
  stop(): Promise<void>;
}

/**
 * Starts it with `env` (its database, URLs and SMTP) at `logLevel`, and returns once /healthz
 * answers and `ready` holds for what it printed (a line the benchmark reads, such as the
 * delivery process's pid). A server that exits first rejects with its output.
 */
export async function startWholeServer(
  env: Record<string, string>,
  logLevel: 'info' | 'error',
  ready: (output: string) => boolean = () => true,
): Promise<WholeServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...SERVER_FLAGS, 'server/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      ...NODE_ENV,
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE || COMPILE_CACHE_DIR,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: logLevel,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  await new Promise<void>((resolve, reject) => {
    const exited = (code: number | null) =>
      reject(new Error(`herald exited with ${code}:\n${out}`));
    child.once('exit', exited);
    const poll = setInterval(() => {
      fetch(`${base}/healthz`).then(
        (r) => {
          if (r.status < 500 && ready(out)) {
            clearInterval(poll);
            child.off('exit', exited);
            resolve();
          }
        },
        () => {},
      );
    }, 200);
    child.once('exit', () => clearInterval(poll));
  });
  return { child, base, output: () => out, stop };
}
