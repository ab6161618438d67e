import { databaseFault, givenUpOn, type WriteWait } from '../../../db/faults.ts';
import { DomainError } from './errors.ts';

export { databaseFault, type DatabaseFault, type WriteWait } from '../../../db/faults.ts';

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
    (this as { [givenUpOn]?: 'busy' | 'full' })[givenUpOn] = fault;
  }
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
