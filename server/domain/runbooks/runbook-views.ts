import { asc, desc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { components, runbookRevisions, runbooks } from '../../../db/schema/index.ts';
import { isStale, renderRunbook } from './render-runbook.ts';

export interface RunbookView {
  componentId: string;
  componentName: string;
  markdown: string;
  html: string;
  lastReviewedAt: Date;
  lastEditedBy: string;
  stale: boolean;
}

/** Runbooks of the given components (all components when null), in display order. */
export async function readRunbooks(
  db: DbOrTx,
  componentIds: string[] | null,
  now: Date,
): Promise<RunbookView[]> {
  if (componentIds && componentIds.length === 0) return [];
  const rows = await db
    .select({ r: runbooks, name: components.name })
    .from(runbooks)
    .innerJoin(components, eq(components.id, runbooks.componentId))
    .where(componentIds ? inArray(runbooks.componentId, componentIds) : undefined)
    .orderBy(asc(components.position), asc(components.name));
  return rows.map(({ r, name }) => ({
    componentId: r.componentId,
    componentName: name,
    markdown: r.body,
    html: renderRunbook(r.body),
    lastReviewedAt: r.lastReviewedAt,
    lastEditedBy: r.lastEditedBy,
    stale: isStale(r.lastReviewedAt, now),
  }));
}

/** One component's runbook with its edit history (newest first); null runbook when none yet. */
export async function readRunbook(db: DbOrTx, componentId: string, now: Date) {
  const [c] = await db
    .select({ id: components.id, name: components.name })
    .from(components)
    .where(eq(components.id, componentId));
  if (!c) return null;
  const [runbook] = await readRunbooks(db, [componentId], now);
  const history = await db
    .select()
    .from(runbookRevisions)
    .where(eq(runbookRevisions.componentId, componentId))
    .orderBy(desc(runbookRevisions.at))
    .limit(50);
  return { component: c, runbook: runbook ?? null, history };
}

/** Every component with whether it has a runbook and whether that is stale. */
export async function readRunbookIndex(db: DbOrTx, now: Date) {
  const all = await db
    .select({ id: components.id, name: components.name, isGroup: components.isGroup })
    .from(components)
    .orderBy(asc(components.position), asc(components.name));
  const books = new Map((await readRunbooks(db, null, now)).map((r) => [r.componentId, r]));
  return all.filter((c) => !c.isGroup).map((c) => ({ ...c, runbook: books.get(c.id) ?? null }));
}
