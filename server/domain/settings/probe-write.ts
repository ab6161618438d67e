import { sql } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';

/**
 * The cheapest real write: takes the write lock and rewrites the settings row unchanged. It
 * fails when another process holds the lock too long, the file is read-only or the disk is
 * full, which a read never shows.
 */
export async function probeWrite(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run(sql`UPDATE settings SET change_counter = change_counter WHERE id = 1`);
  });
}
