import type { ComponentStatus } from '../../../db/schema/enums.ts';

/** Human words for statuses, shared by pages, feeds and emails. */
export const componentStatusLabels: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

export const updateStatusLabels: Record<string, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  verifying: 'Verifying',
  completed: 'Completed',
};

export const priorityMeanings: Record<number, string> = {
  0: 'Drop everything',
  1: 'All hands on it now',
  2: 'Fix this week',
  3: 'Next sprint',
};

export function statusLabel(status: string): string {
  return updateStatusLabels[status] ?? status;
}
