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
  cancelled: 'Cancelled',
};

/**
 * What customers and public lists hear instead of a priority: the incident's impact in words
 * ("Major outage: Website is down"). Priorities are the team's words and stay internal.
 */
export const impactLabels: Record<string, string> = {
  critical: 'Major outage',
  major: 'Partial outage',
  minor: 'Degraded service',
  none: 'Notice',
};

export function impactLabel(impact: string): string {
  return impactLabels[impact] ?? impactLabels.none!;
}

export const priorityMeanings: Record<number, string> = {
  0: 'Drop everything',
  1: 'All hands on it now',
  2: 'Fix this week',
  3: 'Next sprint',
};

export function statusLabel(status: string): string {
  return updateStatusLabels[status] ?? status;
}
