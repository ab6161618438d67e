import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { createDeps, type Deps } from '../../server/deps.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import { type Clock, ManualClock } from '../../server/domain/shared/clock.ts';
import { TEMPLATE_ENV } from './template-db.ts';

export const testActor: Actor = { type: 'cli', id: null, label: 'test', role: 'admin' };

export interface TestContext {
  deps: Deps;
  app: ReturnType<typeof createApp>;
  clock: ManualClock;
  dir: string;
  dbUrl: string;
  close(): Promise<void>;
}

/**
 * A fresh temporary libSQL file with the real migrations (not `:memory:`: the libSQL client
 * opens new connections, and a new in-memory connection is an empty database). Under vitest it
 * starts as a copy of the run's migrated template (test/helpers/template-db.ts); start-up then
 * checks the migrations as always and finds them applied.
 */
export async function createTestContext(
  opts: { env?: Record<string, string>; clock?: Clock; parentDir?: string } = {},
): Promise<TestContext> {
  const dir = mkdtempSync(path.join(opts.parentDir ?? tmpdir(), 'herald-test-'));
  const dbFile = path.join(dir, 'herald.db');
  const template = process.env[TEMPLATE_ENV];
  if (template && existsSync(template)) copyFileSync(template, dbFile);
  const dbUrl = `file:${dbFile}`;
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock();
  const config = loadConfig({
    DATABASE_URL: dbUrl,
    PUBLIC_URL: 'https://status.example.com',
    PAGE_NAME: 'Acme',
    LOG_LEVEL: 'silent',
    MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
    ...opts.env,
  });
  const deps = await createDeps(config, { clock });
  const app = createApp(deps);
  return {
    deps,
    app,
    clock,
    dir,
    dbUrl,
    async close() {
      await deps.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
