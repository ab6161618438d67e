import type { DbOrTx } from '../../../db/client.ts';
import type { MessageIdConfig } from '../outbox/message-id.ts';
import { type MaintenanceState, maintenanceUpdates } from '../../../db/schema/index.ts';
import type { MaintenanceNoticeKind } from '../shared/maintenance-subject.ts';
import type { Actor } from '../shared/actor.ts';
import { newId } from '../shared/ids.ts';
import { bumpChanges, recordAudit, type AuditEntry } from '../shared/writes.ts';
import { enqueueMaintenanceNotice } from './enqueue-maintenance-notice.ts';
import { queueMaintenanceWebhooks } from '../webhooks/queue-webhook-deliveries.ts';

/**
 * Records one step of a window inside the caller's transaction: the update shown in its
 * timeline, the subscriber notice (when `notice` names one and the window's switches allow
 * it), a `maintenance` delivery for every webhook and chat channel that wants the window (unless
 * the step is `folded` into the next one), the audit entry, and the change-counter bump that
 * refreshes every public surface.
 */
export async function recordMaintenanceStep(
  tx: DbOrTx,
  config: MessageIdConfig,
  actor: Actor,
  now: Date,
  step: {
    maintenanceId: string;
    status: MaintenanceState;
    statusChanged: boolean;
    body: string;
    notify: boolean;
    notice: MaintenanceNoticeKind | null;
    audit: Omit<AuditEntry, 'objectType' | 'objectId'>;
    /** A start caught up after downtime together with the completion: only the latter is told. */
    folded?: boolean;
  },
): Promise<void> {
  const updateId = newId();
  await tx.insert(maintenanceUpdates).values({
    id: updateId,
    maintenanceId: step.maintenanceId,
    status: step.status,
    statusChanged: step.statusChanged,
    body: step.body,
    notify: step.notify,
    authorId: actor.type === 'user' ? actor.id : null,
    displayAt: now,
    createdAt: now,
  });
  if (step.notice)
    await enqueueMaintenanceNotice(tx, config, step.maintenanceId, step.notice, now, updateId);
  if (!step.folded)
    await queueMaintenanceWebhooks(tx, { maintenanceId: step.maintenanceId, updateId }, now);
  await recordAudit(tx, actor, now, {
    ...step.audit,
    objectType: 'maintenance',
    objectId: step.maintenanceId,
  });
  await bumpChanges(tx, now);
}
