import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  componentStatusChanges,
  components,
  incidentComponents,
  incidentUpdates,
  postmortems,
} from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { readIncidentRecord } from '../record/record-views.ts';
import { getSettings } from '../settings/get-settings.ts';
import { statusLabel } from '../status/labels.ts';
import { measureImpact } from './impact.ts';
import { renderMarkdown } from './render-markdown.ts';
import { buildPostmortemTemplate, type TemplateData } from './template.ts';

export type PostmortemRow = typeof postmortems.$inferSelect;

/** The three Statuspage fields on a public incident; the body as sanitised HTML. */
export function postmortemJson(row: PostmortemRow | undefined) {
  const published = row?.publishedAt ? row : undefined;
  return {
    postmortem_body: published ? renderMarkdown(published.body) : null,
    postmortem_body_last_updated_at: published ? published.updatedAt.toISOString() : null,
    postmortem_published_at: published?.publishedAt ? published.publishedAt.toISOString() : null,
  };
}

/** Published post-mortems of these incidents, by incident id (for the public read services). */
export async function readPublishedPostmortems(
  db: DbOrTx,
  incidentIds: string[],
): Promise<Map<string, PostmortemRow>> {
  if (incidentIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(postmortems)
    .where(and(inArray(postmortems.incidentId, incidentIds), isNotNull(postmortems.publishedAt)));
  return new Map(rows.map((r) => [r.incidentId, r]));
}

/** "3 of 5 action items done": an item dropped with a reason counts as settled, not done. */
export function actionItemTally(items: { state: string }[]) {
  const done = items.filter((i) => i.state === 'done').length;
  const dropped = items.filter((i) => i.state === 'wont_do').length;
  return {
    done,
    dropped,
    total: items.length,
    open: items.length - done - dropped,
    text: `${done} of ${items.length} action item${items.length === 1 ? '' : 's'} done${dropped ? ` (${dropped} won't do)` : ''}`,
  };
}

/** What "Start from the timeline" fills in, read from the incident as it is now. */
export async function readTemplateData(
  db: DbOrTx,
  incidentId: string,
  now: Date,
): Promise<TemplateData> {
  const incident = await loadIncident(db, incidentId);
  const record = await readIncidentRecord(db, incidentId, now);
  const updates = await db
    .select()
    .from(incidentUpdates)
    .where(and(eq(incidentUpdates.incidentId, incidentId), eq(incidentUpdates.state, 'published')))
    .orderBy(asc(incidentUpdates.displayAt), asc(incidentUpdates.createdAt));
  const linked = await db
    .select({ id: components.id, name: components.name })
    .from(incidentComponents)
    .innerJoin(components, eq(components.id, incidentComponents.componentId))
    .where(eq(incidentComponents.incidentId, incidentId))
    .orderBy(asc(incidentComponents.position));
  const end = incident.resolvedAt ?? now;
  const impact = [];
  for (const c of linked) {
    const history = await db
      .select({
        newStatus: componentStatusChanges.newStatus,
        changedAt: componentStatusChanges.changedAt,
      })
      .from(componentStatusChanges)
      .where(eq(componentStatusChanges.componentId, c.id))
      .orderBy(asc(componentStatusChanges.changedAt));
    impact.push({ name: c.name, measured: measureImpact(history, incident.startedAt, end) });
  }
  return {
    incident,
    impact,
    timeline: updates.map((u) => ({
      at: u.displayAt,
      label:
        u.priorityTo !== null
          ? `Priority P${u.priorityFrom} to P${u.priorityTo}`
          : u.statusChanged
            ? statusLabel(u.status)
            : 'Update',
      text: u.priorityTo !== null ? (u.priorityReason ?? '') : u.body,
    })),
    changes: record.changes.map((c) => ({
      at: c.ranAt,
      what: c.what,
      target: c.target,
      ranBy: c.ranByName,
      reviewedBy: c.reviewedByName,
      backupTaken: c.backupTaken,
      recordsTouched: c.recordsTouched,
      triedOnSample: c.triedOnSample,
    })),
    decisions: record.decisions.map((d) => ({
      at: d.decidedAt,
      decision: d.decision,
      why: d.why,
      by: d.authorLabel,
    })),
    facts: record.facts.map((f) => ({ text: f.text, answer: f.answer })),
    actionItems: record.actionItems.map((a) => ({
      title: a.title,
      kind: a.kind,
      owner: a.ownerName,
      dueAt: a.dueAt,
      state: a.state,
    })),
  };
}

/** The post-mortem as written, or the pre-filled template when none is written yet. */
export async function readPostmortemDraft(db: DbOrTx, incidentId: string, now: Date) {
  const incident = await loadIncident(db, incidentId);
  const [row] = await db.select().from(postmortems).where(eq(postmortems.incidentId, incidentId));
  const record = await readIncidentRecord(db, incidentId, now);
  const tz = (await getSettings(db)).timeZone;
  const body = row
    ? row.body
    : buildPostmortemTemplate(await readTemplateData(db, incidentId, now), tz);
  return {
    incidentId: incident.id,
    incidentResolved: incident.status === 'resolved',
    body,
    html: renderMarkdown(body),
    prefilled: !row,
    authorLabel: row?.authorLabel ?? null,
    updatedAt: row?.updatedAt ?? null,
    publishedAt: row?.publishedAt ?? null,
    actionItems: actionItemTally(record.actionItems),
  };
}
