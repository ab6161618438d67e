import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { sql } from 'drizzle-orm';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { databaseFault, givenUpOn, type WriteWait } from './faults.ts';
import { forgetRequestReads } from './request-reads.ts';
import * as schema from './schema/index.ts';

export type Db = LibSQLDatabase<typeof schema>;
/** A drizzle transaction handle; domain verbs accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

export interface DbHandle {
  db: Db;
  client: Client;
  close(): void;
}

export interface OpenOptions {
  /** How long a write transaction waits for another process's write lock before giving up. */
  writeWaitMs?: number;
  /**
   * The error a write throws when it gives up waiting; the composition root passes the domain's
   * database-busy error (a 503 with Retry-After), which the database layer cannot import.
   */
  gaveUp?: GaveUp;
}

/** Builds the error for a write that waited `writeWaitMs` in vain. */
export type GaveUp = (fault: 'busy' | 'full', retryAfterSeconds: number) => Error;

/** Without a composition root (tools, scripts): a plain error that still names its fault. */
const plainGaveUp: GaveUp = (fault, retryAfterSeconds) =>
  Object.assign(
    new Error(
      `The database ${fault === 'full' ? 'disk is full' : 'is busy'}; try again in ${retryAfterSeconds} s.`,
    ),
    { [givenUpOn]: fault },
  );

/**
 * libSQL's embedded driver is synchronous: its busy timeout blocks the whole event loop while
 * it waits (no HTTP, no heartbeats). So each attempt waits only this long inside the driver
 * and the rest of the wait happens here, asynchronously, between attempts.
 */
const DRIVER_BUSY_MS = 250;

/** A database that cannot be opened, with a message that says what is wrong and what to do. */
export class DatabaseStartError extends Error {}

/** Opens libSQL: a `file:` URL (embedded, WAL mode) or a `libsql://`/`http(s)://` server. */
export async function openDatabase(
  url: string,
  authToken?: string,
  opts: OpenOptions = {},
): Promise<DbHandle> {
  const file = url.startsWith('file:') ? url.slice('file:'.length).replace(/\?.*$/, '') : '';
  const embedded = Boolean(file) && file !== ':memory:';
  if (embedded) {
    const dir = path.dirname(path.resolve(file));
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new DatabaseStartError(
        startMessage(
          url,
          file,
          `its folder ${dir} does not exist and cannot be created (${(err as NodeJS.ErrnoException).code})`,
          "create the folder (or fix its parent's permissions), or point DATABASE_URL elsewhere",
        ),
      );
    }
  }
  let client: Client | undefined;
  try {
    client = createClient({
      url,
      authToken,
      ...(url.startsWith('file:') ? { timeout: DRIVER_BUSY_MS } : {}),
    });
    if (url.startsWith('file:')) {
      // WAL lets readers (page renders) run while the outbox worker and scheduler write.
      // Switching a new file to WAL needs a moment alone with it: another process starting
      // on the same file at once is waited for, not failed on.
      for (const until = Date.now() + (opts.writeWaitMs ?? 10_000); ; await sleep(50)) {
        try {
          await client.execute('PRAGMA journal_mode = WAL');
          break;
        } catch (err) {
          if (databaseFault(err) !== 'busy' || Date.now() > until) throw err;
        }
      }
      await client.execute(`PRAGMA busy_timeout = ${DRIVER_BUSY_MS}`);
      await client.execute('PRAGMA foreign_keys = ON');
    }
  } catch (err) {
    client?.close();
    if (embedded) throw explainOpenFailure(url, file, err);
    throw new DatabaseStartError(
      `Herald cannot start: DATABASE_URL=${url} could not be opened: ${String((err as Error)?.message ?? err)}. Check the URL, DATABASE_AUTH_TOKEN and that the server is reachable.`,
    );
  }
  const c0 = client;
  // A statement that met SQLITE_BUSY is left "in progress" on its pooled connection by the
  // embedded driver, and every later COMMIT there fails with SQLITE_BUSY too. Fresh connections
  // before the retry: only the failed transaction held one across an await, and it is over.
  const db = serializeTransactions(
    drizzle(client, { schema }),
    opts.writeWaitMs ?? 10_000,
    embedded ? () => c0.reconnect() : undefined,
    opts.gaveUp,
  );
  const c = client;
  return { db, client: c, close: () => c.close() };
}

/**
 * A start-up write (migrations, the settings row) that failed: explained like a failure to
 * open when it is about the file (read-only, damaged, full), else passed on as it is.
 */
export function explainStartWriteFailure(url: string, err: unknown): unknown {
  if (!url.startsWith('file:')) return err;
  const fault = databaseFault(err);
  const file = url.slice('file:'.length).split('?')[0]!;
  if (fault === 'readonly') return explainOpenFailure(url, file, err);
  if (fault === 'full')
    return new DatabaseStartError(
      startMessage(
        url,
        file,
        'the disk holding it is full',
        'free disk space on the Herald server, or point DATABASE_URL at a disk with room',
      ),
    );
  const text = String((err as Error)?.message ?? err) + String((err as Error)?.cause ?? '');
  return /NOTADB|not a database|CORRUPT|malformed/i.test(text)
    ? explainOpenFailure(url, file, (err as Error)?.cause ?? err)
    : err;
}

function startMessage(url: string, file: string, what: string, todo: string): string {
  return `Herald cannot start: DATABASE_URL=${url} (${path.resolve(file)}): ${what}.\nTo fix: ${todo}.`;
}

/** Turns a driver error at open time into one line on what is wrong and one on what to do. */
function explainOpenFailure(url: string, file: string, err: unknown): DatabaseStartError {
  const abs = path.resolve(file);
  const msg = String((err as Error)?.message ?? err);
  const codes = [
    (err as { code?: string })?.code,
    (err as { cause?: { code?: string } })?.cause?.code,
  ]
    .filter(Boolean)
    .join(' ');
  const say = (what: string, todo: string) =>
    new DatabaseStartError(startMessage(url, file, what, todo));
  if (existsSync(abs) && statSync(abs).isDirectory())
    return say(
      'this is a folder, not a database file',
      'point DATABASE_URL at a file inside it, e.g. file:' + path.join(file, 'herald.db'),
    );
  if (
    databaseFault(err) === 'readonly' ||
    /READONLY|EACCES|EPERM|permission denied/i.test(codes + msg)
  )
    return say(
      'the file (or its folder, which needs room for the -wal and -shm files) is read-only for this user',
      'give the user running Herald write access to the file and its folder, or point DATABASE_URL at a writable copy',
    );
  if (/NOTADB|not a database/i.test(codes + msg)) {
    const head = existsSync(abs) ? readFileSync(abs).subarray(0, 16).toString('latin1') : '';
    return head.startsWith('SQLite format 3')
      ? say(
          'the database file is damaged (truncated or overwritten)',
          'restore it from a backup, or move it away to start with an empty database',
        )
      : say(
          'this file is not a SQLite database',
          "point DATABASE_URL at Herald's database file, or move this file away to start with an empty database",
        );
  }
  if (/CORRUPT|malformed/i.test(codes + msg))
    return say(
      'the database file is damaged (truncated or overwritten)',
      'restore it from a backup, or move it away to start with an empty database',
    );
  if (/CANTOPEN|unable to open/i.test(codes + msg))
    return say(
      'the file cannot be opened',
      'check that the path and its folder exist and that the user running Herald may write there',
    );
  return say(
    `the database could not be opened (${msg})`,
    'check the file, or point DATABASE_URL at another one',
  );
}

/**
 * Runs this process's write transactions one after another. libSQL's embedded driver gives
 * each transaction its own pooled connection and answers a second writer with SQLITE_BUSY at
 * once (or, with a long busy timeout, blocks the event loop the first writer needs to finish).
 * Queueing them in-process keeps a publish from failing while the outbox worker records a
 * batch. Another process holding the lock is waited for asynchronously, retrying the whole
 * transaction (it was rolled back), for up to `writeWaitMs`; then the `gaveUp` error (the domain's: a 503).
 */
export function serializeTransactions(
  db: Db,
  writeWaitMs = 10_000,
  onBusy?: () => unknown,
  gaveUp: GaveUp = plainGaveUp,
): Db {
  let tail: Promise<unknown> = Promise.resolve();
  // Why this process's writes are waiting right now: set by the first refusal, cleared by the
  // next commit. Health, stall reports and progress pages read it while the write still waits.
  const wait: { current: WriteWait | null; queued: number } = { current: null, queued: 0 };
  /** Told after each commit (`onCommit`). */
  const committed = new Set<() => void>();
  const original = db.transaction.bind(db);
  // A transaction opened from inside another (a bug, but one that must not hang the process)
  // skips the queue it would otherwise wait on forever.
  const inside = new AsyncLocalStorage<true>();
  const withRetry: Db['transaction'] = async (fn, config) => {
    const deadline = Date.now() + writeWaitMs;
    // Short pauses: another process's burst of short transactions leaves only brief gaps.
    for (let pause = 10; ; pause = Math.min(100, pause * 2)) {
      try {
        const result = await inside.run(true, () => original(fn, config));
        wait.current = null;
        return result;
      } catch (err) {
        const fault = databaseFault(err);
        if (fault !== 'busy' && fault !== 'full') throw err;
        if (wait.current?.fault !== fault) wait.current = { fault, since: Date.now() };
        await onBusy?.();
        if (Date.now() + pause > deadline)
          throw gaveUp(fault, Math.max(1, Math.ceil(writeWaitMs / 2000)));
        await sleep(pause);
      }
    }
  };
  const transaction: Db['transaction'] = (fn, config) => {
    if (inside.getStore()) return original(fn, config);
    // What the request read before this write may change now, and what it reads after must
    // show the write: its shared reads are dropped on both sides.
    forgetRequestReads();
    wait.queued++;
    const run = tail
      .then(() => withRetry(fn, config))
      .then((result) => {
        for (const listener of committed) {
          try {
            listener();
          } catch {
            // A listener's failure is its own; the write has committed.
          }
        }
        return result;
      })
      .finally(() => {
        wait.queued--;
        forgetRequestReads();
      });
    tail = run.catch(() => undefined);
    return run;
  };
  const wrapped = Object.assign(Object.create(db) as Db, { transaction });
  waits.set(wrapped, wait);
  commitListeners.set(wrapped, committed);
  return wrapped;
}

const commitListeners = new WeakMap<Db, Set<() => void>>();

/**
 * Calls `listener` after each write transaction of this process commits (not after one that
 * failed). The server tells its delivery process so: what a write queued goes out at once, not
 * at the delivery process's next poll. Returns what removes the listener.
 */
export function onCommit(db: Db, listener: () => void): () => void {
  const set = commitListeners.get(db);
  if (!set) return () => {};
  set.add(listener);
  return () => set.delete(listener);
}

const waits = new WeakMap<Db, { current: WriteWait | null; queued: number }>();

/**
 * What this process's writes are waiting for right now (another process's write lock, a full
 * disk) and since when, or null when the last write went through.
 */
export function writeWait(db: Db): WriteWait | null {
  return waits.get(db)?.current ?? null;
}

/** How many write transactions of this process are queued or running now (tests wait on it). */
export function queuedWrites(db: Db): number {
  return waits.get(db)?.queued ?? 0;
}

const MIGRATIONS_TABLE = '__drizzle_migrations';

/**
 * Applies the committed migrations, reading which ones are applied and applying the rest in one
 * BEGIN IMMEDIATE transaction: several processes starting together on a new file take turns
 * (the later ones wait for the lock, then find nothing left to do) instead of racing to
 * create the same tables. Same bookkeeping table as drizzle's own migrator.
 */
export async function migrateDatabase(db: Db): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder });
  await db.transaction(async (tx) => {
    await tx.run(
      sql.raw(
        `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
      ),
    );
    const last = await tx.values<[number, string, number]>(
      sql.raw(
        `SELECT id, hash, created_at FROM "${MIGRATIONS_TABLE}" ORDER BY created_at DESC LIMIT 1`,
      ),
    );
    const lastAt = last[0] ? Number(last[0][2]) : -Infinity;
    for (const m of migrations) {
      if (m.folderMillis <= lastAt) continue;
      for (const stmt of m.sql) if (stmt.trim()) await tx.run(sql.raw(stmt));
      await tx.run(
        sql.raw(
          `INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES ('${m.hash}', ${m.folderMillis})`,
        ),
      );
    }
  });
}
