import type { Client } from '@libsql/client';
import Database from 'libsql';

export type ChangeCounterReader = (() => number | Promise<number>) & { close(): void };

/**
 * Reads the change counter that keys every cached response: it runs once per request, so it
 * must be cheap under a refresh storm, yet never stale.
 *
 * Embedded file (the default): a dedicated read-only connection with a prepared statement,
 * read synchronously (microseconds). In WAL mode each read sees every committed write, from
 * this process or any other sharing the file.
 *
 * libSQL server: concurrent callers share one query, but only a query that *started after
 * they asked* (a caller arriving while a read is in flight waits for the next one), so a write
 * that returned before a request arrived is always seen, and N concurrent requests cost about
 * one round trip.
 */
export function createChangeCounter(url: string, client: Client): ChangeCounterReader {
  if (url.startsWith('file:')) {
    const file = url.slice('file:'.length).split('?')[0]!;
    const db = new Database(file, { readonly: true });
    const stmt = db.prepare('select change_counter as c from settings where id = 1');
    const read = () => Number((stmt.get() as { c: number } | undefined)?.c ?? 0);
    return Object.assign(read, { close: () => db.close() });
  }

  let inFlight: Promise<number> | null = null;
  let next: Promise<number> | null = null;
  const run = (): Promise<number> => {
    const p = client
      .execute('select change_counter from settings where id = 1')
      .then((rs) => Number(rs.rows[0]?.[0] ?? 0))
      .finally(() => {
        inFlight = null;
      });
    inFlight = p;
    return p;
  };
  const read = () => {
    if (!inFlight) return run();
    next ??= inFlight.then(
      () => ((next = null), run()),
      () => ((next = null), run()),
    );
    return next;
  };
  return Object.assign(read, { close: () => {} });
}
