// Backs up and restores Herald's embedded libSQL database (docs/operating.md, "Backups").
//
//   node scripts/backup-db.ts backup --to FILE [--database file:./data/herald.db]
//   node scripts/backup-db.ts restore --from FILE [--database file:./data/herald.db]
//
// `--database` defaults to DATABASE_URL, then to Herald's own default. A backup is taken while
// Herald runs: VACUUM INTO writes one consistent snapshot (what a single read transaction sees,
// WAL included) into a fresh file, so copying herald.db by hand, which misses what is still in
// herald.db-wal, is never needed. A restore runs with Herald stopped: it checks the backup before
// touching anything, keeps the current file beside it, and puts the backup in place atomically.
import { copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { createClient } from '@libsql/client';

const MIGRATIONS_TABLE = '__drizzle_migrations';

class ScriptError extends Error {}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function filePathOf(url: string): string {
  if (!url.startsWith('file:')) {
    throw new ScriptError(
      `${url} is a libSQL server, not a file: back it up with the server's own tools (sqld or Turso snapshots).`,
    );
  }
  return path.resolve(url.slice('file:'.length).replace(/\?.*$/, ''));
}

/** Integrity and the number of applied migrations of a database file; throws what is wrong. */
async function check(file: string): Promise<{ migrations: number }> {
  const client = createClient({ url: `file:${file}` });
  try {
    const integrity = await client.execute('PRAGMA integrity_check');
    const verdict = String(integrity.rows[0]?.[0] ?? '');
    if (verdict !== 'ok') throw new ScriptError(`${file} is damaged: ${verdict}`);
    const table = await client.execute({
      sql: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
      args: [MIGRATIONS_TABLE],
    });
    if (table.rows.length === 0) throw new ScriptError(`${file} is not a Herald database.`);
    const n = await client.execute(`SELECT count(*) FROM ${MIGRATIONS_TABLE}`);
    return { migrations: Number(n.rows[0]?.[0] ?? 0) };
  } catch (err) {
    if (err instanceof ScriptError) throw err;
    throw new ScriptError(`${file} cannot be read as a database: ${(err as Error).message}`);
  } finally {
    client.close();
  }
}

async function backup(databaseUrl: string, to: string): Promise<string> {
  const source = filePathOf(databaseUrl);
  const target = path.resolve(to);
  if (!existsSync(source)) throw new ScriptError(`There is no database at ${source}.`);
  if (existsSync(target)) throw new ScriptError(`${target} exists already: name a new file.`);
  const client = createClient({ url: `file:${source}`, timeout: 10_000 });
  try {
    await client.execute({ sql: 'VACUUM INTO ?', args: [target] });
  } finally {
    client.close();
  }
  const { migrations } = await check(target);
  return `Backed up ${source} to ${target} (${statSync(target).size} bytes, ${migrations} migrations applied, integrity ok).`;
}

async function restore(databaseUrl: string, from: string): Promise<string> {
  const target = filePathOf(databaseUrl);
  const backupFile = path.resolve(from);
  if (!existsSync(backupFile)) throw new ScriptError(`There is no backup at ${backupFile}.`);
  // Checked before anything is moved: a bad backup leaves the current database as it was.
  const { migrations } = await check(backupFile);
  const staging = `${target}.restoring`;
  copyFileSync(backupFile, staging);
  let kept = '';
  if (existsSync(target)) {
    kept = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    // The WAL belongs to the file it was written for: it moves with it, never onto the backup.
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(target + suffix)) renameSync(target + suffix, kept + suffix);
    }
  }
  renameSync(staging, target);
  rmSync(`${target}-wal`, { force: true });
  rmSync(`${target}-shm`, { force: true });
  return (
    `Restored ${backupFile} to ${target} (${migrations} migrations applied; newer ones apply when Herald starts).` +
    (kept ? `\nThe database it replaced is kept at ${kept}.` : '')
  );
}

async function main(argv: string[]): Promise<string> {
  const [command, ...args] = argv;
  const databaseUrl =
    option(args, '--database') ?? process.env.DATABASE_URL ?? 'file:./data/herald.db';
  if (command === 'backup') {
    const to = option(args, '--to');
    if (!to) throw new ScriptError('Say where the backup goes: --to FILE.');
    return backup(databaseUrl, to);
  }
  if (command === 'restore') {
    const from = option(args, '--from');
    if (!from) throw new ScriptError('Say which backup to restore: --from FILE.');
    return restore(databaseUrl, from);
  }
  throw new ScriptError(
    'Usage: node scripts/backup-db.ts backup --to FILE | restore --from FILE [--database URL]',
  );
}

main(process.argv.slice(2)).then(
  (message) => console.log(message),
  (err) => {
    console.error(err instanceof ScriptError ? err.message : err);
    process.exit(1);
  },
);
