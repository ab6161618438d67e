import { databaseFault } from '../domain/shared/database-busy.ts';
import type { Logger } from '../logger.ts';

/**
 * Another process holds the write lock, seen directly (SQLITE_BUSY) or through its side effect:
 * after a busy write this process reopens its pooled connections (db/client.ts), and a read that
 * was in flight on one of them fails with CLIENT_CLOSED. Both pass; the next pass retries.
 */
export function isLockWait(err: unknown): boolean {
  if (databaseFault(err) === 'busy') return true;
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 6; i++) {
    if (e.code === 'CLIENT_CLOSED') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * Logs a loop's passing conditions once when they start and once when they end, never per
 * attempt. Another process holding the write lock is a wait, not a fault: an info line. Other
 * failures are errors, logged again only when their text changes.
 */
export function conditionLog(log: Logger, loop: string) {
  const current = new Map<string, string>();
  return {
    /** `err` null: the condition `name` is over (says so if it was on). */
    report(name: string, err: unknown) {
      const before = current.get(name);
      if (err === null || err === undefined) {
        if (before === undefined) return;
        current.delete(name);
        log.info(`${loop}: ${name} ok again`);
        return;
      }
      const busy = isLockWait(err);
      const text = busy
        ? 'waiting: another process holds the database write lock'
        : String(err instanceof Error ? err.message : err).slice(0, 300);
      if (before === text) return;
      current.set(name, text);
      if (busy) log.info(`${loop}: ${name} ${text}`);
      else
        log.error(`${loop}: ${name} failed: ${text}`, {
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        });
    },
  };
}

/** What a database failure means, in words an operator can act on. */
export function faultText(err: unknown): string {
  const f = databaseFault(err);
  if (isLockWait(err)) return 'the database is busy (another process holds the write lock)';
  if (f === 'full') return 'the database disk is full';
  if (f === 'readonly') return 'the database is read-only';
  return String(err instanceof Error && err.cause ? err.cause : err).slice(0, 300);
}

/**
 * A sending lane's named conditions (the relay, recording outcomes, claiming): logged when one
 * starts or changes and when it ends, never per attempt; a held write lock is an info line.
 */
export function laneConditions(log: Logger, lane: string) {
  const conditions = new Map<string, string>();
  return function condition(name: string, state: string | null, message?: string) {
    const before = conditions.get(name) ?? null;
    if (before === state) return;
    if (state === null) {
      conditions.delete(name);
      log.info(`${lane}: ${name} ok again`);
    } else {
      conditions.set(name, state);
      if ((message ?? state).includes('write lock')) log.info(`${lane}: ${message ?? state}`);
      else log.error(`${lane}: ${message ?? state}`);
    }
  };
}
