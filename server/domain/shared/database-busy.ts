import { DomainError } from './errors.ts';

/**
 * Another process held the database's write lock for longer than a write is allowed to wait
 * (or the disk is full). Answered with 503 and Retry-After: the request changed nothing and
 * can simply be sent again.
 */
export class DatabaseBusyError extends DomainError {
  override readonly code = 'database_busy';
  readonly retryAfterSeconds: number;
  readonly fault: 'busy' | 'full';
  constructor(fault: 'busy' | 'full', retryAfterSeconds = 5) {
    super(
      fault === 'full'
        ? 'The database disk is full, so nothing was saved. Free disk space on the Herald server, then send this again.'
        : 'The database is busy with another Herald process (for example a large import), so nothing was saved. Send this again in a few seconds.',
    );
    this.retryAfterSeconds = retryAfterSeconds;
    this.fault = fault;
  }
}

export type DatabaseFault = 'busy' | 'full' | 'readonly';

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
    if (e instanceof DatabaseBusyError) return e.fault;
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
