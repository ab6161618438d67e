import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './deps.ts';
import { TEMPLATE_ENV } from './template-db.ts';

export interface ContextTemplate<T> {
  /** What `build` returned. */
  value: T;
  /** A fresh context on a copy of the template. */
  context(): Promise<TestContext>;
  /** Removes the template (afterAll). */
  close(): void;
}

/**
 * A file's own template database, for a file whose tests each want a fresh database that starts
 * with the same things (users, their signed-in sessions): `build` makes them once, and each
 * `context()` is a fresh TestContext on a copy of the result, as every suite's database is a
 * copy of the run's migrated template. What `build` returns (ids, cookies) holds for every copy;
 * each copy has its own ManualClock, starting where `build`'s did.
 */
export async function contextTemplate<T>(
  build: (t: TestContext) => Promise<T>,
  opts: Parameters<typeof createTestContext>[0] = {},
): Promise<ContextTemplate<T>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-file-template-'));
  const file = path.join(dir, 'template.db');
  const t = await createTestContext(opts);
  let value: T;
  try {
    value = await build(t);
    // Everything into the main file, so copying that one file copies the whole database.
    await t.deps.db.run(sql`PRAGMA wal_checkpoint(TRUNCATE)`);
    copyFileSync(t.dbUrl.slice('file:'.length), file);
  } finally {
    await t.close();
  }
  return {
    value,
    async context() {
      // createTestContext copies the file this variable names; tests in a file run one after
      // another, so nothing else reads it while it names this file's template.
      const run = process.env[TEMPLATE_ENV];
      process.env[TEMPLATE_ENV] = file;
      try {
        return await createTestContext(opts);
      } finally {
        if (run === undefined) delete process.env[TEMPLATE_ENV];
        else process.env[TEMPLATE_ENV] = run;
      }
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
