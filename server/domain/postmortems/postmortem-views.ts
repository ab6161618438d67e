import { postmortemMailedAt } from './postmortem-mailed.ts';
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
  incidentNoticeListSubject,
  incidentNoticeRecipients,
} from '../broadcasts/enqueue-incident-notice.ts';
import { reviewLists } from '../broadcasts/review-lists.ts';
import { PUBLIC_SCOPE } from '../status/incident-scope.ts';
import { createAudienceReader } from '../audiences/audience-reader.ts';
import { listAudiences } from '../audiences/manage-audiences.ts';
import {
  readComponents,
  readHistory,
  readPage,
  readRecentIncidents,
} from '../status/read-status.ts';

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
    incident: {
      title: incident.title,
      impact: incident.impact,
      startedAt: startedAt ?? incident.startedAt,
      resolvedAt: incident.resolvedAt,
    },
    public: {
      impact,
      timeline: publicUpdates.map((u) => ({
        at: u.displayAt,
        label: u.statusChanged ? statusLabel(u.status) : 'Update',
        text: publicText(u.body),
      })),
    },
    internal: {
      priority: incident.priority,
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
 * surface will show it, which pages and feeds of which audience will carry it, and each list
 * the email would go to with its audience, its recipients and its subject line as its readers
 * will get it (one per language they read, or the English one where the list keeps English).
 * Every figure comes from the read or the rule the publication itself goes through: the
 * recipients the broadcast then queues, the subject the mail then carries, the reads behind
 * each page and feed. The internal part is not in it.
 */
export async function readPostmortemPublication(db: DbOrTx, incidentId: string, publicUrl: string) {
  const incident = await loadIncident(db, incidentId);
  const [row] = await db
    .select({ body: postmortems.publicBody, publishedAt: postmortems.publishedAt })
    .from(postmortems)
    .where(eq(postmortems.incidentId, incidentId));
  const body = publicText(row?.body ?? '');
  const { lists, componentIds } = await incidentNoticeRecipients(db, incident);
  const email = await reviewLists(db, lists, componentIds, (l, lang) =>
    incidentNoticeListSubject('incident_postmortem', l, incident, lang),
  );
  return {
    incidentId: incident.id,
    saved: !!row,
    publishedAt: row?.publishedAt ?? null,
    publicBody: body,
    publicHtml: renderMarkdown(body),
    empty: body.trim() === '',
    /** When the lists were emailed it: publishing again offers no second email. */
    mailedAt: await postmortemMailedAt(db, incident.id),
    isDrill: incident.isDrill,
    pages: await publicationPages(db, incident, publicUrl),
    email,
  };
}

/**
 * Which audiences' pages, feeds and v2 JSON will carry the post-mortem, asked of the very reads
 * those surfaces make (an incident past the feeds' 25 entries or v2's 50 is not in them). A
 * drill is on none of them.
 */
async function publicationPages(
  db: DbOrTx,
  incident: { id: string; isDrill: boolean; publishedAt: Date | null; audienceOnly: boolean },
  publicUrl: string,
) {
  if (incident.isDrill || incident.publishedAt === null) return [];
  const audiencePages = await publicationAudiencePages(db, incident, publicUrl);
  // An incident for chosen audiences only is on no public surface: only its audiences' pages.
  if (incident.audienceOnly) return audiencePages;
  const carries = (list: { id: string }[]) => list.some((i) => i.id === incident.id);
  const page = await readPage(db, publicUrl);
  const all = await readComponents(db, page);
  const publicFeeds = (await readHistory(db, page, all, PUBLIC_SCOPE, { offset: 0, limit: 25 }))
    .entries;
  const pages = [
    {
      audience: 'public',
      name: 'Public',
      where: [
        `the incident page /incidents/${incident.id}`,
        ...(carries(publicFeeds) ? ['the RSS and Atom feeds'] : []),
        ...(carries(await readRecentIncidents(db, page, all, PUBLIC_SCOPE))
          ? ['the v2 JSON API (postmortem_body)']
          : []),
      ],
    },
    ...audiencePages,
  ];
  return pages;
}

/** Which named audiences' feeds and v2 JSON carry the incident. */
async function publicationAudiencePages(db: DbOrTx, incident: { id: string }, publicUrl: string) {
  const carries = (list: { id: string }[]) => list.some((i) => i.id === incident.id);
  const pages: { audience: string; name: string; where: string[] }[] = [];
  for (const a of await listAudiences(db)) {
    const reader = createAudienceReader(db, publicUrl, a);
    const where = [
      ...(carries((await reader.feedEntries()).entries)
        ? [`its feeds (/a/${a.slug}/history.rss, .atom)`]
        : []),
      ...(carries((await reader.incidents()).incidents)
        ? [`its v2 JSON (/a/${a.slug}/api/v2/incidents.json)`]
        : []),
    ];
    if (where.length) pages.push({ audience: a.slug, name: a.name, where });
  }
  return pages;
}
export type PostmortemPublication = Awaited<ReturnType<typeof readPostmortemPublication>>;
