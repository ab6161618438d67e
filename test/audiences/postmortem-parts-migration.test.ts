import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateDatabase, migrationsFolder, openDatabase } from '../../db/client.ts';

// A database from before post-mortems had two parts: one published post-mortem and one draft
// that "Start from the timeline" filled with the internal record. Upgrading must keep the
// published text public and unchanged, and must not make the draft's record publishable.
describe('upgrading post-mortems to a public and an internal part', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-pm-migration-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps published text as the public part unchanged and moves unpublished drafts to the internal part', async () => {
    const handle = await openDatabase(`file:${path.join(dir, 'old.db')}`);
    const { db } = handle;
    const all = readMigrationFiles({ migrationsFolder });
    const first = all.findIndex((m) => m.sql.some((s) => s.includes('internal_body')));
    expect(first).toBeGreaterThan(0);
    const before = all.slice(0, first);
    // Apply the migrations up to the last one without the internal part, as an older Herald did.
    await db.run(
      sql.raw(
        'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)',
      ),
    );
    for (const m of before) {
      for (const s of m.sql) if (s.trim()) await db.run(sql.raw(s));
      await db.run(
        sql.raw(
          `INSERT INTO "__drizzle_migrations" (hash, created_at) VALUES ('${m.hash}', ${m.folderMillis})`,
        ),
      );
    }
    expect(before.length).toBeLessThan(all.length);
    const published = '## What happened\n\nA full disk on search-3. **Fixed.**\n';
    const draft = '# Post-mortem\n\n## Steps taken\n\n- `UPDATE orders SET x = 1` on prod-db-1\n';
    await db.run(sql`PRAGMA foreign_keys = OFF`);
    await db.run(
      sql`INSERT INTO postmortems (id, incident_id, body, author_label, published_at, created_at, updated_at)
          VALUES ('pm-pub', 'inc-1', ${published}, 'Rita', 1000, 900, 950),
                 ('pm-draft', 'inc-2', ${draft}, 'Rita', NULL, 900, 950)`,
    );

    await migrateDatabase(db);

    const rows = await db.all<{ id: string; body: string; internal_body: string }>(
      sql`SELECT id, body, internal_body FROM postmortems ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 'pm-draft', body: '', internal_body: draft },
      { id: 'pm-pub', body: published, internal_body: '' },
    ]);
    handle.close();
  });
});
