import type { DomainDeps } from '../shared/deps.ts';
import { notifyReportFollowers } from './notify-report-followers.ts';
import { runTriageTimebox, type TimeboxStep } from './run-triage-timebox.ts';

export interface ReportDuty {
  timebox: TimeboxStep[];
  followers: { reportId: string; updateId: string }[];
}

/** What reports need from the scheduler on every pass: the triage timebox, then followers. */
export async function runReportDuties(deps: DomainDeps): Promise<ReportDuty[]> {
  const timebox = await runTriageTimebox(deps);
  const followers = await notifyReportFollowers(deps);
  return timebox.length + followers.length > 0 ? [{ timebox, followers }] : [];
}
