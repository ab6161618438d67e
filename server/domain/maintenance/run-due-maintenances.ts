import { and, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import { maintenances } from '../../../db/schema/index.ts';
import { systemActor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { recordAudit } from '../shared/writes.ts';
import { applyComplete } from './complete-maintenance.ts';
import { enqueueMaintenanceNotice } from './enqueue-maintenance-notice.ts';
import { applyStart } from './start-maintenance.ts';

export interface MaintenanceStep {
  maintenanceId: string;
  step: 'reminder' | 'start' | 'complete';
  late?: boolean;
}

/** Started or completed later than this after its time, a step counts as late (Herald was down). */
const LATE_AFTER_MS = 60_000;

/**
 * The clock's part in maintenance windows: the reminder `reminder_lead_minutes` before the
 * start, the automatic start at `scheduled_for` and completion at `scheduled_until`. Each step
 * is claimed by a conditional UPDATE, so it happens once however many processes run this, and
 * not at all for a window cancelled or moved since it was listed.
 * After downtime, a window whose end has also passed starts and completes in the same pass,
 * without a start notice (its completion notice says it all).
 */
export async function runDueMaintenances(deps: DomainDeps): Promise<MaintenanceStep[]> {
  const now = deps.clock.now();
  const out: MaintenanceStep[] = [];

  const reminders = await deps.db
    .select({ id: maintenances.id })
    .from(maintenances)
    .where(
      and(
        eq(maintenances.status, 'scheduled'),
        isNull(maintenances.reminderSentAt),
        gt(maintenances.reminderLeadMinutes, 0),
        gt(maintenances.scheduledFor, now),
        lte(
          sql`${maintenances.scheduledFor} - ${maintenances.reminderLeadMinutes} * 60000`,
          now.getTime(),
        ),
      ),
    );
  for (const { id } of reminders) {
    const sent = await deps.db.transaction(async (tx) => {
      const [m] = await tx
        .update(maintenances)
        .set({ reminderSentAt: now })
        .where(
          and(
            eq(maintenances.id, id),
            isNull(maintenances.reminderSentAt),
            eq(maintenances.status, 'scheduled'),
          ),
        )
        .returning();
      if (!m) return false;
      const b = await enqueueMaintenanceNotice(tx, deps.config, m.id, 'maintenance_reminder', now);
      await recordAudit(tx, systemActor, now, {
        action: 'maintenance.remind',
        objectType: 'maintenance',
        objectId: m.id,
        after: { recipients: b?.total ?? 0 },
      });
      return true;
    });
    if (sent) out.push({ maintenanceId: id, step: 'reminder' });
  }

  const toStart = await deps.db
    .select({
      id: maintenances.id,
      scheduledFor: maintenances.scheduledFor,
      scheduledUntil: maintenances.scheduledUntil,
      autoComplete: maintenances.autoComplete,
    })
    .from(maintenances)
    .where(
      and(
        eq(maintenances.status, 'scheduled'),
        eq(maintenances.autoStart, true),
        lte(maintenances.scheduledFor, now),
      ),
    );
  for (const w of toStart) {
    const overAlready = w.autoComplete && w.scheduledUntil.getTime() <= now.getTime();
    const m = await deps.db.transaction((tx) =>
      applyStart(tx, deps.config, w.id, now, systemActor, { notice: !overAlready, due: true }),
    );
    if (m)
      out.push({
        maintenanceId: w.id,
        step: 'start',
        late: now.getTime() - w.scheduledFor.getTime() > LATE_AFTER_MS,
      });
  }

  const toComplete = await deps.db
    .select({ id: maintenances.id, scheduledUntil: maintenances.scheduledUntil })
    .from(maintenances)
    .where(
      and(
        inArray(maintenances.status, ['in_progress', 'verifying']),
        eq(maintenances.autoComplete, true),
        lte(maintenances.scheduledUntil, now),
      ),
    );
  for (const w of toComplete) {
    const m = await deps.db.transaction((tx) =>
      applyComplete(tx, deps.config, w.id, now, systemActor),
    );
    if (m)
      out.push({
        maintenanceId: w.id,
        step: 'complete',
        late: now.getTime() - w.scheduledUntil.getTime() > LATE_AFTER_MS,
      });
  }
  return out;
}
