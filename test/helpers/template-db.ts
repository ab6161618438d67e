import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateDatabase, openDatabase } from '../../db/client.ts';

// Vitest's global set-up: one database with every committed migration applied, made once per
// run. Each suite's fresh database starts as a copy of it (test/helpers/deps.ts), so a suite
// pays for a file copy instead of replaying every migration; the start-up migration still runs
// on the copy and finds nothing left to do. Tests of migrating itself open their own files.

export const TEMPLATE_ENV = 'HERALD_TEST_TEMPLATE_DB';

export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-template-'));
  const file = path.join(dir, 'template.db');
  const handle = await openDatabase(`file:${file}`);
  try {
    await migrateDatabase(handle.db);
    // Everything into the main file, so copying that one file copies the whole database.
    await handle.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    handle.close();
  }
  // Workers and the processes tests start inherit the environment.
  process.env[TEMPLATE_ENV] = file;
  return () => rmSync(dir, { recursive: true, force: true });
}
