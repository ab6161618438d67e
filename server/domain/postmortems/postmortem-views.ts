import { and, asc, eq } from 'drizzle-orm';
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
import { renderMarkdown } from '../shared/render-markdown.ts';
import { buildPostmortemTemplate, type TemplateData } from './template.ts';
import { internalText, publicText } from '../shared/audience.ts';
import {
  incidentNoticeRecipients,
  incidentNoticeSubject,
} from '../broadcasts/enqueue-incident-notice.ts';
import { countRecipients } from '../broadcasts/queue-deliveries.ts';

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
  // The fact sheet's start, when it gives a time, is when customers were hit; the declaration
  // came later, so the post-mortem's span and duration count from it.
  const startedAt = record.startedAt && record.startedAt <= end ? record.startedAt : null;
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
  // Priority changes carry an internal reason: they belong to the internal part.
  const publicUpdates = updates.filter((u) => u.priorityTo === null);
  const priorityChanges = updates.filter((u) => u.priorityTo !== null);
  return {
    incident: { ...incident, startedAt: startedAt ?? incident.startedAt },
    public: {
      impact,
      timeline: publicUpdates.map((u) => ({
        at: u.displayAt,
        label: u.statusChanged ? statusLabel(u.status) : 'Update',
        text: publicText(u.body),
      })),
    },
    internal: {
      priorityChanges: priorityChanges.map((u) => ({
        at: u.displayAt,
        from: u.priorityFrom ?? incident.priority,
        to: u.priorityTo ?? incident.priority,
        reason: u.priorityReason ?? '',
      })),
      changes: record.changes.map((c) => ({
        at: c.ranAt,
        what: c.what,
        target: c.target,
        ranBy: c.ranByName,
        reviewed: c.reviewerName !== null,
        review: c.review,
        backupTaken: c.backupTaken,
        recordsTouched: c.recordsTouched,
        triedOnSample: c.triedOnSample,
      })),
      // A retracted decision was logged by mistake: it stays in the record, not in the story.
      decisions: record.decisions
        .filter((d) => !d.retracted)
        .map((d) => ({
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
      remediation: record.remediation.map((r) => ({
        what: r.what,
        priority: r.priority,
        owner: r.ownerName,
        state: r.state,
      })),
    },
  };
}

/**
 * The post-mortem as written, or the pre-filled template when none is written yet; both parts,
 * for staff (the admin page and the admin API).
 */
export async function readPostmortemDraft(db: DbOrTx, incidentId: string, now: Date) {
  const incident = await loadIncident(db, incidentId);
  const [row] = await db.select().from(postmortems).where(eq(postmortems.incidentId, incidentId));
  const record = await readIncidentRecord(db, incidentId, now);
  const tz = (await getSettings(db)).timeZone;
  const parts = row
    ? { publicBody: publicText(row.publicBody), internalBody: internalText(row.internalBody) }
    : buildPostmortemTemplate(await readTemplateData(db, incidentId, now), tz);
  return {
    incidentId: incident.id,
    incidentResolved: incident.status === 'resolved',
    publicBody: parts.publicBody,
    internalBody: parts.internalBody,
    publicHtml: renderMarkdown(parts.publicBody),
    internalHtml: renderMarkdown(parts.internalBody),
    prefilled: !row,
    authorLabel: row?.authorLabel ?? null,
    updatedAt: row?.updatedAt ?? null,
    publishedAt: row?.publishedAt ?? null,
    actionItems: actionItemTally(record.actionItems),
  };
}

/**
 * Exactly what publishing would put out, before anything is sent: the public part as every
 * public surface will show it, where it will show, and who the email would go to (the same
 * recipients the broadcast then queues). The internal part is not in it.
 */
export async function readPostmortemPublication(db: DbOrTx, incidentId: string) {
  const incident = await loadIncident(db, incidentId);
  const [row] = await db
    .select({ body: postmortems.publicBody, publishedAt: postmortems.publishedAt })
    .from(postmortems)
    .where(eq(postmortems.incidentId, incidentId));
  const body = publicText(row?.body ?? '');
  const { lists, listIds, componentIds } = await incidentNoticeRecipients(db, incident);
  const perList = [];
  for (const l of lists)
    perList.push({
      name: l.name,
      internal: l.isInternal,
      recipients: await countRecipients(db, { listIds: [l.id], componentIds }),
    });
  return {
    incidentId: incident.id,
    saved: !!row,
    publishedAt: row?.publishedAt ?? null,
    publicBody: body,
    publicHtml: renderMarkdown(body),
    empty: body.trim() === '',
    surfaces: incident.isDrill
      ? ['drill lists only (a drill is never on the public page)']
      : [
          `the public incident page /incidents/${incident.id}`,
          'the RSS and Atom feeds',
          'the v2 JSON API (postmortem_body)',
        ],
    email: {
      subject: incidentNoticeSubject('incident_postmortem', incident),
      lists: perList,
      recipients: await countRecipients(db, { listIds, componentIds }),
    },
  };
}
export type PostmortemPublication = Awaited<ReturnType<typeof readPostmortemPublication>>;
