// What the database refused and why, read from the driver's errors. Lives beside the client
// that meets these errors first; the domain turns a write that gave up into its own error.

export type DatabaseFault = 'busy' | 'full' | 'readonly';

/** A write that meets a passing fault and waits: which fault, since when (epoch ms). */
export interface WriteWait {
  fault: 'busy' | 'full';
  since: number;
}

/**
 * Marks an error thrown because a write gave up waiting (the domain's database-busy error
 * carries it), so a transaction that meets one inside another is treated as the same fault.
 */
export const givenUpOn = Symbol.for('herald.databaseFault');

/**
 * Why the database refused a statement, if it is a passing condition: busy (another process
 * holds the write lock), full (disk or max_page_count), read-only. Looks through drizzle's and
 * libSQL's wrapped causes.
 */
export function databaseFault(err: unknown): DatabaseFault | null {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 6;
    e = e.cause as typeof e, i++
  ) {
    const code = typeof e.code === 'string' ? e.code : '';
    const message = typeof e.message === 'string' ? e.message : '';
    const given = (e as { [givenUpOn]?: unknown })[givenUpOn];
    if (given === 'busy' || given === 'full') return given;
    if (
      /^SQLITE_(BUSY|LOCKED)/.test(code) ||
      /database is locked|database table is locked/i.test(message)
    )
      return 'busy';
    if (code.startsWith('SQLITE_FULL') || /database or disk is full/i.test(message)) return 'full';
    if (code.startsWith('SQLITE_READONLY') || /attempt to write a readonly database/i.test(message))
      return 'readonly';
  }
  return null;
}
