import { DomainError } from './errors.ts';

/**
 * Another process held the database's write lock for longer than a write is allowed to wait
 * (or the disk is full). Answered with 503 and Retry-After: the request changed nothing and
 * can simply be sent again.
 */
export class DatabaseBusyError extends DomainError {
  /** `database_full` asks the operator to act; `database_busy` only asks the client to wait. */
  override readonly code: 'database_busy' | 'database_full';
  readonly retryAfterSeconds: number;
  readonly fault: 'busy' | 'full';
  constructor(fault: 'busy' | 'full', retryAfterSeconds = 5) {
    super(
      fault === 'full'
        ? 'The database disk is full, so nothing was saved. Free disk space on the Herald server, then send this again.'
        : 'The database is busy with another Herald process (for example a large import), so nothing was saved. Send this again in a few seconds.',
    );
    this.code = fault === 'full' ? 'database_full' : 'database_busy';
    this.retryAfterSeconds = retryAfterSeconds;
    this.fault = fault;
  }
}

export type DatabaseFault = 'busy' | 'full' | 'readonly';

/** A write that meets a passing fault and waits: which fault, since when (epoch ms). */
export interface WriteWait {
  fault: 'busy' | 'full';
  since: number;
}

/**
 * What a waiting write waits for, as it reads after "waiting for the database, ": "held by
 * another writer, 3 s" or "its disk is full, 3 s: free disk space on the Herald server".
 */
export function describeWriteWait(wait: WriteWait, nowMs: number = Date.now()): string {
  const s = Math.max(0, Math.round((nowMs - wait.since) / 1000));
  return wait.fault === 'full'
    ? `its disk is full, ${s} s: free disk space on the Herald server`
    : `held by another writer, ${s} s`;
}

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

/**
 * Runs a bookkeeping write (a token's last use, a session's last visit) that must never fail
 * the read it rides on: a busy, full or read-only database skips it. True when it was written.
 */
export async function unlessDatabaseRefuses(write: PromiseLike<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if (databaseFault(err)) return false;
    throw err;
  }
}
