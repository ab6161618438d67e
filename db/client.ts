import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
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

/** Opens libSQL: a `file:` URL (embedded, WAL mode) or a `libsql://`/`http(s)://` server. */
export async function openDatabase(url: string, authToken?: string): Promise<DbHandle> {
  if (url.startsWith('file:')) {
    const file = url.slice('file:'.length);
    if (file && file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }
  // `timeout` is libSQL's busy timeout (ms) for every pooled connection; the PRAGMA below only
  // reaches the one connection it runs on.
  const client = createClient({ url, authToken, ...(url.startsWith('file:') ? { timeout: 5000 } : {}) });
  if (url.startsWith('file:')) {
    // WAL lets readers (page renders) run while the outbox worker and scheduler write.
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA busy_timeout = 5000');
    await client.execute('PRAGMA foreign_keys = ON');
  }
  const db = serializeTransactions(drizzle(client, { schema }));
  return { db, client, close: () => client.close() };
}

export async function migrateDatabase(db: Db): Promise<void> {
  await migrate(db, { migrationsFolder });
}

/**
 * One write transaction at a time per process. libSQL begins each transaction IMMEDIATE on a
 * pooled connection, and the embedded driver waits for a locked file synchronously: a second
 * transaction in the same process would block the event loop that the first one needs to
 * commit, then fail with SQLITE_BUSY. Queueing them here keeps the busy timeout for what it is
 * for: other processes on the same file. (Inside a transaction, nest with `tx.transaction`.)
 */
function serializeTransactions(db: Db): Db {
  const original = db.transaction.bind(db);
  let tail: Promise<unknown> = Promise.resolve();
  db.transaction = ((fn: Parameters<Db['transaction']>[0], config?: Parameters<Db['transaction']>[1]) => {
    const run = tail.then(() => original(fn, config));
    tail = run.catch(() => undefined);
    return run;
  }) as Db['transaction'];
  return db;
}
