import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { readOncePerRequest } from '../../../db/request-reads.ts';
import { settings } from '../../../db/schema/index.ts';
import { newId } from '../shared/ids.ts';

export type Settings = typeof settings.$inferSelect;

/** Creates the settings row on a fresh database; later starts leave it alone. */
export async function ensureSettings(
  db: DbOrTx,
  defaults: { pageName: string; publicUrl: string | null },
  now: Date,
): Promise<void> {
  await db
    .insert(settings)
    .values({
      id: 1,
      pageId: newId(),
      pageName: defaults.pageName,
      publicUrl: defaults.publicUrl,
      updatedAt: now,
    })
    .onConflictDoNothing();
}

/**
 * The settings row, read once per request however many parts of a page ask (the session check,
 * the language, the time zone, the promise defaults): `readOncePerRequest`. Frozen when shared.
 */
export function getSettings(db: DbOrTx): Promise<Readonly<Settings>> {
  return readOncePerRequest(db, 'settings', async () => {
    const row = await db.query.settings.findFirst({ where: eq(settings.id, 1) });
    if (!row) throw new Error('settings row missing: the database was not initialised');
    return row;
  });
}
