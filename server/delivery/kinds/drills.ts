import { renderDrillStart } from '../../../emails/drill-start.ts';
import type { Db } from '../../../db/client.ts';
import { DRILL_MARK, headerText } from '../../domain/shared/subjects.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import { readDrill } from '../../domain/drills/drill-views.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** A drill's participant: the drill has started. */
    drill_start: { drillId: string };
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

export const drillKinds = {
  drill_start: emailKind<'drill_start'>((ctx, m) => composeDrillMail(ctx.db, ctx.page, m)),
};
