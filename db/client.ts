import { AsyncLocalStorage } from 'node:async_hooks';
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
    if (file && file !== ':memory:')
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }
  // `timeout` is libSQL's busy timeout (ms) on every pooled connection: another process holding
  // the write lock is waited for instead of failing at once. The PRAGMAs below only reach the
  // one connection they run on.
  const client = createClient({
    url,
    authToken,
    ...(url.startsWith('file:') ? { timeout: 5000 } : {}),
  });
  if (url.startsWith('file:')) {
    // WAL lets readers (page renders) run while the outbox worker and scheduler write.
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA busy_timeout = 5000');
    await client.execute('PRAGMA foreign_keys = ON');
  }
  const db = serializeTransactions(drizzle(client, { schema }));
  return { db, client, close: () => client.close() };
}

/**
 * Runs this process's write transactions one after another. libSQL's embedded driver gives
 * each transaction its own pooled connection and answers a second writer with SQLITE_BUSY at
 * once (or, with a busy timeout, blocks the event loop the first writer needs to finish).
 * Queueing them in-process keeps a publish from failing while the outbox worker records a
 * batch; other processes still meet at SQLite's own lock.
 */
export function serializeTransactions(db: Db): Db {
  let tail: Promise<unknown> = Promise.resolve();
  const original = db.transaction.bind(db);
  // A transaction opened from inside another (a bug, but one that must not hang the process)
  // skips the queue it would otherwise wait on forever.
  const inside = new AsyncLocalStorage<true>();
  const transaction: Db['transaction'] = (fn, config) => {
    if (inside.getStore()) return original(fn, config);
    const run = tail.then(() => inside.run(true, () => original(fn, config)));
    tail = run.catch(() => undefined);
    return run;
  };
  return Object.assign(Object.create(db) as Db, { transaction });
}

export async function migrateDatabase(db: Db): Promise<void> {
  await migrate(db, { migrationsFolder });
}
