import type { DomainDeps } from '../shared/deps.ts';
import { notifyReportFollowers } from './notify-report-followers.ts';
import { runTriageTimebox, type TimeboxStep } from './run-triage-timebox.ts';
import { runDueDrills } from '../drills/run-due-drills.ts';

export interface ReportDuty {
  timebox: TimeboxStep[];
  followers: { reportId: string; updateId: string }[];
  drills: { drillId: string; incidentId: string | null }[];
}

/**
 * What preparing for incidents needs from the scheduler on every pass: due drills, the triage
 * timebox, then report followers (a drill's first update may already have followers).
 */
export async function runReportDuties(deps: DomainDeps): Promise<ReportDuty[]> {
  const drills = await runDueDrills(deps);
  const timebox = await runTriageTimebox(deps);
  const followers = await notifyReportFollowers(deps);
  return timebox.length + followers.length + drills.length > 0
    ? [{ timebox, followers, drills }]
    : [];
}
