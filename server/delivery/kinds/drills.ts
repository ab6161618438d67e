import { renderDrillStart } from '../../../emails/drill-start.ts';
import { reportEmail } from '../../../emails/report-frame.ts';
import type { Db } from '../../../db/client.ts';
import { DRILL_MARK, headerText } from '../../domain/shared/subjects.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import { readDrill } from '../../domain/drills/drill-views.ts';
import { formatShort } from '../../domain/shared/zoned-time.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** A drill's participant: the drill has started. */
    drill_start: { drillId: string };
    /** An admin: a scheduled drill could not be declared at its time. */
    drill_failed: { drillId: string };
  }
}

/** The participants' "a drill has started" email; skipped when the drill has no incident. */
export async function composeDrillMail(
  db: Db,
  page: PageContext,
  m: { toAddress: string; payload: object; messageId: string },
): Promise<OutgoingMail | null> {
  if (!('drillId' in m.payload) || typeof m.payload.drillId !== 'string') return null;
  const d = await readDrill(db, m.payload.drillId);
  if (!d?.incidentId) return null;
  const rendered = renderDrillStart({
    subject: `${DRILL_MARK} DRILL STARTED: PRIORITY ${d.priority}: ${headerText(d.title).toUpperCase()}`,
    pageName: page.name,
    title: d.title,
    scenario: d.scenario,
    incidentUrl: `${page.url}/admin/incidents/${d.incidentId}`,
  });
  return { ...rendered, to: m.toAddress, messageId: m.messageId };
}

/**
 * The admins' "a drill did not start" email: without it a drill that fails at its time (a
 * component removed since, the database refusing) is only a line on the drills page nobody
 * opens. Skipped when the drill is no longer failed.
 */
export async function composeDrillFailedMail(
  db: Db,
  page: PageContext,
  m: { toAddress: string; payload: { drillId: string }; messageId: string },
): Promise<OutgoingMail | null> {
  const d = await readDrill(db, m.payload.drillId);
  if (!d || d.state !== 'failed') return null;
  const rendered = reportEmail({
    subject: `${DRILL_MARK} DRILL DID NOT START: ${headerText(d.title).toUpperCase()}`,
    pageName: page.name,
    intro: `${DRILL_MARK} The drill "${d.title}", scheduled for ${formatShort(d.scheduledFor)}, did not start, so there is no practice incident and its participants were not told. Fix the cause, then schedule the drill again.`,
    blocks: [{ heading: 'Why it did not start', text: d.lastError ?? 'unknown' }],
    action: { label: 'Open the drill', url: `${page.url}/admin/drills/${d.id}` },
    why: 'You get this email because you are an admin of this status page.',
  });
  return { ...rendered, to: m.toAddress, messageId: m.messageId };
}

export const drillKinds = {
  drill_start: emailKind<'drill_start'>((ctx, m) => composeDrillMail(ctx.db, ctx.page, m)),
  drill_failed: emailKind<'drill_failed'>((ctx, m) => composeDrillFailedMail(ctx.db, ctx.page, m)),
};
