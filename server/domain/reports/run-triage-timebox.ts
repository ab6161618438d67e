import { and, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { reports } from '../../../db/schema/index.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { getSettings } from '../settings/get-settings.ts';
import type { ReportAlertKind } from '../outbox/report-mail-kinds.ts';
import { alertTeam } from './alert-team.ts';
import { readAuthorityAddresses, readOnDutyAddresses } from './report-views.ts';
import { timeboxOf } from './triage-rules.ts';

export interface TimeboxStep {
  reportId: string;
  step: 'reminder' | 'overdue';
  sentTo: string[];
}

/**
 * The triage timebox on the clock: at half time the people on duty get a reminder; when the
 * time is up without a decision, the final authority gets the escalation. Each step is claimed
 * with a conditional UPDATE, so several Herald processes send it once.
 */
export async function runTriageTimebox(deps: DomainDeps): Promise<TimeboxStep[]> {
  const now = deps.clock.now();
  const s = await getSettings(deps.db);
  const open = await deps.db
    .select()
    .from(reports)
    .where(and(eq(reports.state, 'open'), eq(reports.kind, 'bug')));
  const out: TimeboxStep[] = [];
  for (const r of open) {
    const box = timeboxOf(r, s, now);
    if (!box) continue;
    if (box.overdue && !r.overdueEscalatedAt) {
      const sent = await step(deps, r.id, 'overdue', now, readAuthorityAddresses);
      if (sent) out.push({ reportId: r.id, step: 'overdue', sentTo: sent });
    } else if (!box.overdue && now.getTime() >= box.halfAt.getTime() && !r.reminderSentAt) {
      const sent = await step(deps, r.id, 'reminder', now, readOnDutyAddresses);
      if (sent) out.push({ reportId: r.id, step: 'reminder', sentTo: sent });
    }
  }
  return out;
}

async function step(
  deps: DomainDeps,
  reportId: string,
  alert: Extract<ReportAlertKind, 'reminder' | 'overdue'>,
  now: Date,
  recipients: (db: DbOrTx) => Promise<string[]>,
): Promise<string[] | null> {
  const column = alert === 'overdue' ? reports.overdueEscalatedAt : reports.reminderSentAt;
  return deps.db.transaction(async (tx) => {
    const claimed = await tx
      .update(reports)
      .set(alert === 'overdue' ? { overdueEscalatedAt: now } : { reminderSentAt: now })
      .where(and(eq(reports.id, reportId), eq(reports.state, 'open'), isNull(column)))
      .returning({ id: reports.id });
    if (claimed.length !== 1) return null;
    const to = await recipients(tx);
    await alertTeam(tx, deps.config, now, reportId, alert, alert, to);
    return to;
  });
}
