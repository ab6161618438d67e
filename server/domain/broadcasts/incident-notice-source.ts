import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { followUps, incidents } from '../../../db/schema/index.ts';
import { readPublishedPostmortems } from '../postmortems/public-postmortem.ts';
import { renderMarkdown } from '../postmortems/render-markdown.ts';
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
    };
  }
  const [f] = await db.select().from(followUps).where(eq(followUps.incidentId, incident.id));
  if (!f || f.state === 'skipped') return null;
  return {
    type: 'incident_notice',
    kind: b.kind,
    broadcast: b,
    incident,
    text: f.body,
    html: null,
  };
}
