import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../server/config.ts';
import { createDeps, type Deps } from '../../server/deps.ts';
import type { Clock } from '../../server/domain/shared/clock.ts';
import type { TestContext } from './deps.ts';

/**
 * Another Herald "process" on the same database file: its own libSQL client, connections and
 * caches, as after a restart or with two instances behind a load balancer.
 */
export async function openSecondDeps(t: TestContext, clock: Clock = t.clock): Promise<Deps> {
  const config = loadConfig({
    DATABASE_URL: t.dbUrl,
    PUBLIC_URL: 'https://status.example.com',
    PAGE_NAME: 'Acme',
    LOG_LEVEL: 'silent',
  });
  return createDeps(config, { clock });
}

/** Runs scheduler passes in a real child process (its own connections) and returns the reports. */
export async function runSchedulerProcess(
  dbUrl: string,
  at: Date,
  passes = 1,
): Promise<{
  published: { updateId: string }[];
  reminders: unknown[];
  holding: unknown[];
  maintenance: unknown[];
  errors: unknown[];
}> {
  const { execFile } = await import('node:child_process');
  const node = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
  const script = fileURLToPath(new URL('./scheduler-process.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(
      node,
      [script, dbUrl, at.toISOString(), String(passes)],
      { timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`scheduler process failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}
