import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'libsql';

/**
 * A small disk of the test's own (a tmpfs, mounted as root, as the dev machines and CI run)
 * that it can fill to the last byte and free again: the operator's full disk, met by every
 * connection of every process through the real driver.
 *
 * Why not `PRAGMA max_page_count`: it only refuses writes that grow the file, and an outcome
 * write rewrites rows in place (measured: 15 of 15 groups of 200 went through at the limit);
 * and it holds per connection, while the libSQL pool opens connections as it needs them.
 */
export function mountSmallDisk(sizeMb = 64) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'herald-test-disk', dir], {
      stdio: 'pipe',
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `The full-disk test mounts a small tmpfs of its own, which needs root (the dev machines and CI run as root): ${String((err as { stderr?: Buffer }).stderr ?? err)}`,
    );
  }
  const ballast = path.join(dir, 'ballast');
  let holder: Database.Database | null = null;
  return {
    dir,
    /**
     * Fills the disk. The WAL is checkpointed and truncated first, so every commit must grow it
     * and none can reuse frames the file already has. A connection stays open until free(), so
     * Herald closing its own never makes SQLite fold the WAL away.
     */
    fill(dbFile: string, opts: { keepWal?: boolean } = {}) {
      holder = new Database(dbFile);
      holder.exec('PRAGMA busy_timeout = 5000');
      // keepWal: the WAL keeps the frames it has, so a small write still fits (a disk that filled
      // up behind a database in use).
      for (let i = 0; !opts.keepWal; i++) {
        const r = holder.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: number };
        if (!r.busy) break;
        if (i > 50) throw new Error('could not truncate the WAL before filling the disk');
      }
      const fd = openSync(ballast, 'w');
      try {
        for (const size of [1 << 20, 1 << 16, 512, 1])
          try {
            for (const buf = Buffer.alloc(size, 1); ;) writeSync(fd, buf);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(ballast, { force: true });
      holder?.close();
      holder = null;
    },
    unmount() {
      rmSync(ballast, { force: true });
      holder?.close();
      // Lazy: a connection the driver closes late must not keep the mount (or the test) alive.
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
