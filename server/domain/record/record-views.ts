import { and, asc, desc, eq, inArray, isNull, lt } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  type ActionItemState,
  actionItems,
  broadcasts,
  incidentChanges,
  incidentDecisions,
  incidentFacts,
  incidentUpdates,
  incidents,
  remediationItems,
  users,
} from '../../../db/schema/index.ts';
import { factQuestions, factQuestionText } from './inputs.ts';

// Reads of the internal record. Admin pages, the admin API and internal-list mail use them;
// nothing public does.

async function userNames(db: DbOrTx, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((i): i is string => !!i))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select({ id: users.id, name: users.name, email: users.email })
    .from(users)
    .where(inArray(users.id, wanted));
  return new Map(rows.map((u) => [u.id, u.name || u.email]));
}

export async function readFactSheet(db: DbOrTx, incidentId: string) {
  const rows = await db
    .select()
    .from(incidentFacts)
    .where(eq(incidentFacts.incidentId, incidentId));
  return factQuestions.map((q) => {
    const row = rows.find((r) => r.question === q);
    return {
      question: q,
      text: factQuestionText[q],
      answer: row?.answer ?? '',
      authorLabel: row?.authorLabel ?? null,
      updatedAt: row?.updatedAt ?? null,
      at: row?.at ?? null,
    };
  });
}

/**
 * What the record says of a change's review, in one wording everywhere (incident page, API,
 * post-mortem): "review requested from Ben" until Ben confirms, never "reviewed by" before.
 */
export function changeReviewText(c: {
  reviewerName: string | null;
  reviewState: 'requested' | 'confirmed' | 'objected';
  reviewReason: string | null;
}): string {
  if (c.reviewerName === null) return 'not reviewed';
  if (c.reviewState === 'confirmed') return `reviewed by ${c.reviewerName}`;
  if (c.reviewState === 'objected')
    return `${c.reviewerName} objected: ${c.reviewReason ?? 'no reason given'}`;
  return `review requested from ${c.reviewerName}`;
}

export type ActionItemView = Awaited<ReturnType<typeof readActionItems>>[number];

/** Changes waiting for this user's review, oldest first, for their dashboard. */
export async function readReviewsRequestedFrom(db: DbOrTx, userId: string) {
  return db
    .select({
      id: incidentChanges.id,
      incidentId: incidentChanges.incidentId,
      incidentTitle: incidents.title,
      what: incidentChanges.what,
      target: incidentChanges.target,
      ranAt: incidentChanges.ranAt,
    })
    .from(incidentChanges)
    .innerJoin(incidents, eq(incidents.id, incidentChanges.incidentId))
    .where(
      and(eq(incidentChanges.reviewerId, userId), eq(incidentChanges.reviewState, 'requested')),
    )
    .orderBy(asc(incidentChanges.ranAt));
}

/** Action items with their owner's name; `overdue` when open past the due date. */
export async function readActionItems(
  db: DbOrTx,
  filter: { incidentId?: string; state?: ActionItemState; overdueAt?: Date },
  now: Date,
) {
  const where = [
    filter.incidentId ? eq(actionItems.incidentId, filter.incidentId) : undefined,
    filter.state ? eq(actionItems.state, filter.state) : undefined,
    filter.overdueAt
      ? and(eq(actionItems.state, 'open'), lt(actionItems.dueAt, filter.overdueAt))
      : undefined,
  ].filter((w) => w !== undefined);
  const rows = await db
    .select({ item: actionItems, incidentTitle: incidents.title })
    .from(actionItems)
    .innerJoin(incidents, eq(incidents.id, actionItems.incidentId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(actionItems.dueAt));
  const names = await userNames(
    db,
    rows.map((r) => r.item.ownerId),
  );
  return rows.map(({ item, incidentTitle }) => ({
    ...item,
    incidentTitle,
    ownerName: names.get(item.ownerId) ?? 'a removed user',
    overdue: item.state === 'open' && item.dueAt.getTime() < now.getTime(),
  }));
}

/** Everything written down during one incident, for the admin incident page and the API. */
export async function readIncidentRecord(db: DbOrTx, incidentId: string, now: Date) {
  const [facts, decisions, changes, items, remediation] = await Promise.all([
    readFactSheet(db, incidentId),
    db
      .select()
      .from(incidentDecisions)
      .where(eq(incidentDecisions.incidentId, incidentId))
      .orderBy(asc(incidentDecisions.decidedAt)),
    db
      .select()
      .from(incidentChanges)
      .where(eq(incidentChanges.incidentId, incidentId))
      .orderBy(asc(incidentChanges.ranAt)),
    readActionItems(db, { incidentId }, now),
    db
      .select()
      .from(remediationItems)
      .where(eq(remediationItems.incidentId, incidentId))
      .orderBy(asc(remediationItems.priority), asc(remediationItems.createdAt)),
  ]);
  const names = await userNames(db, [
    ...changes.flatMap((c) => [c.ranById, c.reviewerId]),
    ...remediation.map((r) => r.ownerId),
  ]);
  return {
    facts,
    /** The start the fact sheet gives as a time, if any; figures count from it. */
    startedAt: facts.find((f) => f.question === 'started')?.at ?? null,
    decisions: decisions.map((d) => ({ ...d, retracted: d.retractedAt !== null })),
    changes: changes.map((c) => {
      const reviewerName = c.reviewerId ? (names.get(c.reviewerId) ?? 'a removed user') : null;
      return {
        ...c,
        ranByName: names.get(c.ranById) ?? 'a removed user',
        reviewerName,
        review: changeReviewText({ ...c, reviewerName }),
        unreviewed: c.reviewerId === null,
        reviewPending: c.reviewerId !== null && c.reviewState === 'requested',
      };
    }),
    actionItems: items,
    openActionItems: items.filter((i) => i.state === 'open'),
    remediation: remediation.map((r) => ({
      ...r,
      ownerName: r.ownerId ? (names.get(r.ownerId) ?? 'a removed user') : null,
      confirmed: r.confirmedAt !== null,
    })),
  };
}
export type IncidentRecord = Awaited<ReturnType<typeof readIncidentRecord>>;

/**
 * What an internal-list email carries from the record: the fact-sheet answers that changed
 * since the incident's previous broadcast (all of them for the first) and the open action
 * items. `since` null means the first broadcast.
 */
export async function readRecordForMail(
  db: DbOrTx,
  incidentId: string,
  window: { since: Date | null; until: Date },
  now: Date,
) {
  const facts = (await readFactSheet(db, incidentId)).filter(
    (f) =>
      f.updatedAt &&
      f.answer &&
      f.updatedAt.getTime() <= window.until.getTime() &&
      (!window.since || f.updatedAt.getTime() > window.since.getTime()),
  );
  const open = await readActionItems(db, { incidentId, state: 'open' }, now);
  return {
    changedFacts: facts.map((f) => ({ question: f.text, answer: f.answer })),
    openActionItems: open.map((i) => ({ owner: i.ownerName, title: i.title, dueAt: i.dueAt })),
    people: [] as string[],
  };
}

/**
 * Everyone who worked on the incident, for the internal all-clear's thanks: who posted an
 * update, decided, ran or reviewed a change, or owned an action item (users only, by name).
 */
export async function readIncidentPeople(db: DbOrTx, incidentId: string): Promise<string[]> {
  const [updates, decisions, changes, items] = await Promise.all([
    db
      .select({ id: incidentUpdates.authorId })
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incidentId)),
    db
      .select({ id: incidentDecisions.authorId })
      .from(incidentDecisions)
      .where(
        and(eq(incidentDecisions.incidentId, incidentId), isNull(incidentDecisions.retractedAt)),
      ),
    db
      .select({
        a: incidentChanges.ranById,
        b: incidentChanges.reviewerId,
        state: incidentChanges.reviewState,
      })
      .from(incidentChanges)
      .where(eq(incidentChanges.incidentId, incidentId)),
    db
      .select({ id: actionItems.ownerId })
      .from(actionItems)
      .where(eq(actionItems.incidentId, incidentId)),
  ]);
  const names = await userNames(db, [
    ...updates.map((u) => u.id),
    ...decisions.map((d) => d.id),
    ...changes.flatMap((c) => [c.a, c.state === 'requested' ? null : c.b]),
    ...items.map((i) => i.id),
  ]);
  return [...new Set(names.values())].sort((x, y) => x.localeCompare(y));
}
export type RecordForMail = Awaited<ReturnType<typeof readRecordForMail>>;

/** The record as one incident broadcast carries it to internal lists, read at send time. */
export async function readRecordForBroadcast(
  db: DbOrTx,
  b: { id: string; kind: string; incidentId: string | null; createdAt: Date },
): Promise<RecordForMail | null> {
  if (!b.incidentId) return null;
  const [prev] = await db
    .select({ at: broadcasts.createdAt })
    .from(broadcasts)
    .where(and(eq(broadcasts.incidentId, b.incidentId), lt(broadcasts.createdAt, b.createdAt)))
    .orderBy(desc(broadcasts.createdAt))
    .limit(1);
  const record = await readRecordForMail(
    db,
    b.incidentId,
    { since: prev?.at ?? null, until: b.createdAt },
    b.createdAt,
  );
  if (b.kind === 'incident_resolved') record.people = await readIncidentPeople(db, b.incidentId);
  return record;
}

/** One action item as its reminder email names it, read at send time. */
export async function readActionItemForReminder(db: DbOrTx, id: string) {
  const [row] = await db
    .select({
      item: actionItems,
      incidentTitle: incidents.title,
      priority: incidents.priority,
      isDrill: incidents.isDrill,
    })
    .from(actionItems)
    .innerJoin(incidents, eq(incidents.id, actionItems.incidentId))
    .where(eq(actionItems.id, id));
  return row ?? null;
}

/**
 * A change as its review request names it, with its incident, read at send time; null when
 * there is nothing left to ask (gone, or reviewed since it was queued).
 */
export async function readChangeForReview(db: DbOrTx, changeId: string, now: Date) {
  const [row] = await db
    .select({ incidentId: incidentChanges.incidentId })
    .from(incidentChanges)
    .where(eq(incidentChanges.id, changeId));
  if (!row) return null;
  const [incident] = await db
    .select({
      id: incidents.id,
      title: incidents.title,
      priority: incidents.priority,
      isDrill: incidents.isDrill,
    })
    .from(incidents)
    .where(eq(incidents.id, row.incidentId));
  const change = (await readIncidentRecord(db, row.incidentId, now)).changes.find(
    (c) => c.id === changeId,
  );
  if (!incident || !change?.reviewPending) return null;
  return { incident, change };
}
