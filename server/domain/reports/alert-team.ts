import type { DbOrTx } from '../../../db/client.ts';
import { type ReportEventAction, reportEvents } from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { enqueueMessageToEach } from '../outbox/enqueue-message.ts';
import type { ReportAlertKind } from '../outbox/report-mail-kinds.ts';
import { newId } from '../shared/ids.ts';

/**
 * Tells the team of a report in the caller's transaction: an event in the report's log naming
 * who was told (or saying nobody could be), and a report alert to each of them. A P0/P1 report
 * filed and the triage timebox's steps tell the team this way.
 */
export async function alertTeam(
  tx: DbOrTx,
  config: Pick<Config, 'publicUrl'>,
  now: Date,
  reportId: string,
  event: Extract<ReportEventAction, 'alert' | 'reminder' | 'overdue'>,
  alert: Extract<ReportAlertKind, 'filed' | 'reminder' | 'overdue'>,
  to: readonly string[],
): Promise<void> {
  await tx.insert(reportEvents).values({
    id: newId(),
    reportId,
    action: event,
    priority: null,
    reason: to.length > 0 ? `Sent to ${to.join(', ')}` : 'Nobody to tell: add an admin',
    actorLabel: 'Herald',
    at: now,
  });
  await enqueueMessageToEach(
    tx,
    config,
    { kind: 'report_alert', to, payload: { reportId, alert } },
    now,
  );
}
