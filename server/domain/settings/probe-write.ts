import { sql } from 'drizzle-orm';
import { type Db, writeWait } from '../../../db/client.ts';
import { healthProbes } from '../../../db/schema/index.ts';
import { describeWriteWait } from '../shared/database-busy.ts';

/**
 * The cheapest real write: takes the write lock and changes one small row, so the commit must
 * reach the disk. It fails when another process holds the lock too long, the file is read-only
 * or the disk is full, which a read never shows.
 */
export async function probeWrite(db: Db, now: Date = new Date()): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .insert(healthProbes)
      .values({ id: 1, probes: 1, probedAt: now })
      .onConflictDoUpdate({
        target: healthProbes.id,
        set: { probes: sql`${healthProbes.probes} + 1`, probedAt: now },
      });
  });
}

/** Why this process's writes wait right now, in words, or null when they go through. */
export function writeWaitReason(db: Db): string | null {
  const wait = writeWait(db);
  return wait ? describeWriteWait(wait) : null;
}
