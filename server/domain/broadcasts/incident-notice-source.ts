import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { followUps, incidents } from '../../../db/schema/index.ts';
import { readPublishedPostmortems } from '../status/public-postmortem.ts';
import { renderMarkdown } from '../shared/render-markdown.ts';
import { readActiveAddress } from '../users/active-user.ts';
import type { IncidentNoticeKind } from './enqueue-incident-notice.ts';

/** A post-mortem or follow-up email's content, as it is at send time. */
export interface IncidentNoticeSource {
  type: 'incident_notice';
  kind: IncidentNoticeKind;
  broadcast: { id: string; subject: string; isDrill: boolean; kind: string };
  incident: typeof incidents.$inferSelect;
  /** Plain text (the Markdown source for a post-mortem). */
  text: string;
  /** Sanitised HTML of a post-mortem; null for a follow-up (plain text). */
  html: string | null;
  /** A follow-up's Reply-To: the address set on it, else the incident owner's; null for none. */
  replyTo: string | null;
  /** A follow-up links the post-mortem once it is published. */
  postmortemPublished: boolean;
}

/**
 * Null when what it announces is gone: an unpublished post-mortem or a skipped follow-up is
 * not sent (its deliveries are skipped).
 */
export async function readIncidentNoticeSource(
  db: DbOrTx,
  b: {
    id: string;
    subject: string;
    isDrill: boolean;
    kind: IncidentNoticeKind;
    incidentId: string | null;
  },
): Promise<IncidentNoticeSource | null> {
  if (!b.incidentId) return null;
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, b.incidentId));
  if (!incident) return null;
  if (b.kind === 'incident_postmortem') {
    // The public read path: the email carries the public part only, like the page.
    const pm = (await readPublishedPostmortems(db, [incident.id])).get(incident.id);
    if (!pm) return null;
    return {
      type: 'incident_notice',
      kind: b.kind,
      broadcast: b,
      incident,
      text: pm.body,
      html: renderMarkdown(pm.body),
      replyTo: null,
      postmortemPublished: true,
    };
  }
  const f = await readFollowUpNotice(db, incident.id);
  if (!f) return null;
  return {
    type: 'incident_notice',
    kind: b.kind,
    broadcast: b,
    incident,
    text: f.body,
    html: null,
    replyTo: f.replyTo,
    postmortemPublished: f.postmortemPublished,
  };
}

/**
 * A follow-up as it goes out (to the lists and to the reporters): its text, where replies go
 * (the address set on it, else the owner's) and whether the post-mortem is out to link it.
 */
export async function readFollowUpNotice(db: DbOrTx, incidentId: string) {
  const [incident] = await db
    .select({ id: incidents.id, ownerId: incidents.ownerId })
    .from(incidents)
    .where(eq(incidents.id, incidentId));
  if (!incident) return null;
  const [f] = await db.select().from(followUps).where(eq(followUps.incidentId, incident.id));
  if (!f || f.state === 'skipped') return null;
  const published = (await readPublishedPostmortems(db, [incident.id])).has(incident.id);
  return {
    body: f.body,
    replyTo: f.replyTo ?? (await readActiveAddress(db, incident.ownerId)),
    postmortemPublished: published,
  };
}
