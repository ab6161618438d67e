import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { settings } from '../../../db/schema/index.ts';
import { getSettings } from '../settings/get-settings.ts';
import { daySpans } from './read-uptime.ts';

/** Today's date (`YYYY-MM-DD`) in the page's time zone: the key of the last uptime bar. */
export async function uptimeToday(db: DbOrTx, now: Date): Promise<string> {
  const s = await getSettings(db);
  return daySpans(now, s.timeZone, 1)[0]!.date;
}

/**
 * Pages are cached under the change counter, but the uptime bars also move when a day ends
 * with nothing written. Bumping the counter (without touching the page's updated_at, which
 * says when something last changed) makes every page render its bars again once per day.
 */
export async function bumpForNewDay(db: DbOrTx): Promise<void> {
  await db
    .update(settings)
    .set({ changeCounter: sql`${settings.changeCounter} + 1` })
    .where(sql`${settings.id} = 1`);
}
