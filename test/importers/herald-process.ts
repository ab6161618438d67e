import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { registerChild } from '../helpers/children.ts';
import type { TestContext } from '../helpers/deps.ts';

const bin = path.resolve('bin/herald.mjs');

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs `npx herald ...` as a child process on the test's database. */
export function herald(
  t: TestContext,
  args: string[],
  onErr?: (text: string, child: ChildProcess) => void,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: t.dbUrl,
        PUBLIC_URL: 'https://status.example.com',
        LOG_LEVEL: 'silent',
        MAIL_OUTBOX_DIR: path.join(t.dir, 'outbox'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    registerChild(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => {
      err += d;
      onErr?.(err, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : 0), out, err }));
  });
}
