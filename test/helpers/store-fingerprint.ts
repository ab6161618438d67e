import { sql } from 'drizzle-orm';
import type { TestContext } from './deps.ts';

export interface StoreFingerprint {
  tables: Record<string, { rows: number; hash: string }>;
  changeCounter: number;
}

/**
 * Everything stored, to prove a refused request changed nothing: each table's row count and a
 * hash of its rows (every column, in rowid order), and the change counter, as `storeSnapshot`
 * reports them. SQLite hashes each table itself (libSQL's `sha3_query`: SHA3-256 over every
 * value with its type), in one statement for every table, so no row crosses into JavaScript: a
 * fuzzer that takes a snapshot before and after hundreds of requests spent most of its time
 * building row objects to hash.
 *
 * `leaveOut` names what moves by design: a whole table (`login_attempts`) or one column
 * (`sessions.last_seen_at`). `api_tokens.last_used_at` is always left out: using a token is
 * meant to touch it.
 */
export async function storeFingerprint(
  t: TestContext,
  opts: { leaveOut?: string[] } = {},
): Promise<StoreFingerprint> {
  const query = await fingerprintQuery(t, opts.leaveOut ?? []);
  const rows = await t.deps.db.all<{ name: string; n: number; hash: string }>(sql.raw(query));
  const tables: StoreFingerprint['tables'] = {};
  for (const r of rows) tables[r.name] = { rows: Number(r.n), hash: r.hash };
  return { tables, changeCounter: await t.deps.reader.changeCounter() };
}

const queries = new WeakMap<object, Map<string, string>>();

/** The one statement for this database and leave-out list (its schema does not change). */
async function fingerprintQuery(t: TestContext, leaveOut: string[]): Promise<string> {
  const key = leaveOut.join(' ');
  const known = queries.get(t.deps.db)?.get(key);
  if (known) return known;
  const left = new Set(['api_tokens.last_used_at', ...leaveOut]);
  const columns = await t.deps.db.all<{ tbl: string; col: string }>(
    sql`select m.name as tbl, p.name as col from sqlite_master m join pragma_table_info(m.name) p
        where m.type = 'table' and m.name not like 'sqlite_%' order by m.name, p.cid`,
  );
  const byTable = new Map<string, string[]>();
  for (const { tbl, col } of columns) {
    if (left.has(tbl) || left.has(`${tbl}.${col}`)) continue;
    byTable.set(tbl, [...(byTable.get(tbl) ?? []), col]);
  }
  const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const text = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const query = [...byTable]
    .map(([tbl, cols]) => {
      const rows = `select ${cols.map(ident).join(', ')} from ${ident(tbl)} order by rowid`;
      return `select ${text(tbl)} as name, (select count(*) from ${ident(tbl)}) as n, hex(sha3_query(${text(rows)})) as hash`;
    })
    .join('\nunion all\n');
  if (!queries.has(t.deps.db)) queries.set(t.deps.db, new Map());
  queries.get(t.deps.db)!.set(key, query);
  return query;
}
