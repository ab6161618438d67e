import Database from 'libsql';
import type { TestContext } from './deps.ts';
import { type StoreFingerprint, storeFingerprint } from './store-fingerprint.ts';

/**
 * `storeFingerprint` for a test that takes hundreds of them (a fuzzer comparing the store after
 * every refused request): the same fingerprint, hashed again only when something was committed
 * since the last one. SQLite's `PRAGMA data_version`, read on a connection of its own that never
 * writes, changes whenever any other connection commits (Herald's own, or another process's),
 * so an unchanged value means the store is exactly as it was hashed. The version is read before
 * hashing: a commit while the hash runs makes the next call hash again.
 */
export function fingerprintWatch(t: TestContext, opts: { leaveOut?: string[] } = {}) {
  const file = t.dbUrl.replace(/^file:/, '').split('?')[0]!;
  const db = new Database(file, { readonly: true });
  const stmt = db.prepare('pragma data_version');
  const version = () => Number(Object.values(stmt.get() as Record<string, number>)[0]);
  let last: { version: number; fingerprint: StoreFingerprint } | null = null;
  const counts = { taken: 0, hashed: 0 };
  return {
    counts,
    async take(): Promise<StoreFingerprint> {
      counts.taken++;
      const now = version();
      if (last?.version === now) return last.fingerprint;
      counts.hashed++;
      const fingerprint = await storeFingerprint(t, opts);
      last = { version: now, fingerprint };
      return fingerprint;
    },
    close: () => db.close(),
  };
}
