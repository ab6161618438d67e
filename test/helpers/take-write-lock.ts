import type Database from 'libsql';

/**
 * Takes the database's write lock (BEGIN IMMEDIATE) for a test's lock-holding process, however
 * busy the writer it must get past. SQLite's busy handler sleeps between tries (up to 100 ms), and
 * a writer that commits again and again (an import's chunks, the outbox's outcome groups) takes
 * the lock back in every one of those sleeps: waiting so, a holder could miss a whole import. So
 * it does not sleep: it tries again at once until a gap between two commits lets it in, for up to
 * `withinMs`.
 */
export function takeWriteLock(db: Database.Database, withinMs = 30_000): void {
  db.exec('PRAGMA busy_timeout = 0');
  for (const until = Date.now() + withinMs; ;) {
    try {
      db.exec('BEGIN IMMEDIATE');
      return;
    } catch (err) {
      if (!/busy|locked/i.test(String(err)) || Date.now() > until) throw err;
    }
  }
}
