import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { TestContext } from './deps.ts';

/**
 * Everything stored, to prove a refused request changed nothing: each table's row count and a
 * hash of its rows, and the change counter. Only `api_tokens.last_used_at` is left out: using a
 * token is meant to touch it.
 */
export async function storeSnapshot(t: TestContext) {
  const tables = await t.deps.db.all<{ name: string }>(
    sql`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`,
  );
  const out: Record<string, { rows: number; hash: string }> = {};
  for (const { name } of tables) {
    const rows = await t.deps.db.all<Record<string, unknown>>(
      sql.raw(`select * from "${name}" order by rowid`),
    );
    const kept = rows.map((r) => {
      if (name !== 'api_tokens') return r;
      const { last_used_at: _touched, ...rest } = r;
      return rest;
    });
    out[name] = {
      rows: rows.length,
      hash: createHash('sha256').update(JSON.stringify(kept)).digest('hex'),
    };
  }
  return { tables: out, changeCounter: await t.deps.reader.changeCounter() };
}
