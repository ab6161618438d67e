import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerChild } from '../helpers/children.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';

const run = promisify(execFile);

/** scripts/backup-db.ts as an operator runs it: its own process, its exit code and output. */
async function script(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const running = run(process.execPath, ['scripts/backup-db.ts', ...args]);
    registerChild(running.child);
    const { stdout, stderr } = await running;
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

async function titles(file: string): Promise<string[]> {
  const client = createClient({ url: `file:${file}` });
  try {
    const rows = await client.execute('SELECT title FROM incidents ORDER BY title');
    return rows.rows.map((r) => String(r[0]));
  } finally {
    client.close();
  }
}

describe(
  'backing up and restoring the database with scripts/backup-db.ts',
  { timeout: 60_000 },
  () => {
    let t: TestContext;
    let dbFile: string;
    let backupFile: string;

    beforeAll(async () => {
      t = await createTestContext();
      dbFile = t.dbUrl.slice('file:'.length);
      backupFile = path.join(t.dir, 'backup.db');
    });
    afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

    it('takes a backup while Herald has the database open, with what is still in the WAL', async () => {
      await makeIncident(t.deps, { title: 'Before the backup' });
      // The write sits in herald.db-wal: a plain copy of herald.db would miss it.
      expect(existsSync(`${dbFile}-wal`)).toBe(true);
      const r = await script(['backup', '--database', t.dbUrl, '--to', backupFile]);
      expect(r.out).toContain('integrity ok');
      expect(r.code).toBe(0);
      expect(await titles(backupFile)).toEqual(['Before the backup']);
    });

    it('refuses to overwrite an existing backup', async () => {
      const r = await script(['backup', '--database', t.dbUrl, '--to', backupFile]);
      expect(r.code).toBe(1);
      expect(r.out).toContain('exists already');
    });

    it('refuses a damaged backup and leaves the current database as it was', async () => {
      await makeIncident(t.deps, { title: 'After the backup' });
      await t.deps.close();
      const damaged = path.join(t.dir, 'damaged.db');
      writeFileSync(damaged, 'SQLite format 3\0 but nothing after it');
      const r = await script(['restore', '--database', t.dbUrl, '--from', damaged]);
      expect(r.code).toBe(1);
      expect(r.out).toContain(damaged);
      expect(await titles(dbFile)).toEqual(['After the backup', 'Before the backup']);
    });

    it('restores the backup in place and keeps the database it replaced', async () => {
      const r = await script(['restore', '--database', t.dbUrl, '--from', backupFile]);
      expect(r.code).toBe(0);
      expect(await titles(dbFile)).toEqual(['Before the backup']);
      const kept = readdirSync(t.dir).find((f) => /^herald\.db\.before-restore-[^-]/.test(f));
      expect(kept).toBeDefined();
      expect(await titles(path.join(t.dir, kept!))).toEqual([
        'After the backup',
        'Before the backup',
      ]);
    });

    it('Herald starts on the restored database and serves what the backup held', async () => {
      const restored = await createTestContext({
        env: { DATABASE_URL: t.dbUrl },
        parentDir: t.dir,
      });
      try {
        const res = await restored.app.request('/api/v2/incidents.json');
        const body = (await res.json()) as { incidents: { name: string }[] };
        expect(body.incidents.map((i) => i.name)).toEqual(['Before the backup']);
      } finally {
        await restored.deps.close();
      }
    });
  },
);
