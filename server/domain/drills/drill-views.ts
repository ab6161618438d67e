import { asc, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { drills, incidents, incidentUpdates, postmortems } from '../../../db/schema/index.ts';
import { promiseReport } from '../incidents/promise.ts';

export type DrillRow = typeof drills.$inferSelect;

export async function readDrill(db: DbOrTx, id: string) {
  const [row] = await db.select().from(drills).where(eq(drills.id, id));
  return row ?? null;
}

export async function readDrills(db: DbOrTx) {
  return db.select().from(drills).orderBy(desc(drills.scheduledFor)).limit(100);
}

export interface Scorecard {
  drillId: string;
  title: string;
  startedAt: Date | null;
  /** From the declaration to the first update a person posted. */
  timeToFirstUpdateMs: number | null;
  promises: { promises: number; kept: number; broken: number; allKept: boolean };
  /** From the declaration to the official all-clear. */
  timeToAllClearMs: number | null;
  /** Whether the drill's incident has a post-mortem saved; null while the drill has not run. */
  postMortemWritten: boolean | null;
}

async function scoreOne(db: DbOrTx, d: DrillRow, now: Date): Promise<Scorecard> {
  const empty: Scorecard = {
    drillId: d.id,
    title: d.title,
    startedAt: null,
    timeToFirstUpdateMs: null,
    promises: { promises: 0, kept: 0, broken: 0, allKept: true },
    timeToAllClearMs: null,
    postMortemWritten: null,
  };
  if (!d.incidentId) return empty;
  const [inc] = await db.select().from(incidents).where(eq(incidents.id, d.incidentId));
  if (!inc) return empty;
  const updates = await db
    .select()
    .from(incidentUpdates)
    .where(eq(incidentUpdates.incidentId, inc.id))
    .orderBy(asc(incidentUpdates.publishedAt));
  const published = updates.filter((u) => u.state === 'published' && u.publishedAt);
  // The declaration is Herald's; the first update after it is the team's.
  const first = published.find((u) => u.publishedAt!.getTime() > inc.startedAt.getTime());
  const report = promiseReport(published, inc.resolvedAt ?? now);
  const [pm] = await db
    .select({ id: postmortems.id })
    .from(postmortems)
    .where(eq(postmortems.incidentId, inc.id));
  return {
    ...empty,
    startedAt: inc.startedAt,
    timeToFirstUpdateMs: first ? first.publishedAt!.getTime() - inc.startedAt.getTime() : null,
    promises: {
      promises: report.promises,
      kept: report.kept,
      broken: report.broken,
      allKept: report.allKept,
    },
    timeToAllClearMs: inc.resolvedAt ? inc.resolvedAt.getTime() - inc.startedAt.getTime() : null,
    postMortemWritten: Boolean(pm),
  };
}

/** A drill's scorecard, with the earlier drills' for comparison (newest first). */
export async function readDrillScorecard(db: DbOrTx, drillId: string, now: Date) {
  const d = await readDrill(db, drillId);
  if (!d) return null;
  const card = await scoreOne(db, d, now);
  const earlier = (await db.select().from(drills).orderBy(desc(drills.scheduledFor)))
    .filter(
      (x) => x.id !== d.id && x.scheduledFor.getTime() < d.scheduledFor.getTime() && x.incidentId,
    )
    .slice(0, 10);
  const previous = await Promise.all(earlier.map((x) => scoreOne(db, x, now)));
  const last = previous[0];
  const delta = (a: number | null, b: number | null | undefined) =>
    a !== null && b != null ? a - b : null;
  return {
    scorecard: card,
    earlier: previous,
    comparedWithLast: last
      ? {
          timeToFirstUpdateMs: delta(card.timeToFirstUpdateMs, last.timeToFirstUpdateMs),
          timeToAllClearMs: delta(card.timeToAllClearMs, last.timeToAllClearMs),
        }
      : null,
  };
}
