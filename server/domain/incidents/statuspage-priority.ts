import type { ComponentStatus, Impact, IncidentStatus } from '../../../db/schema/index.ts';

// How Statuspage's words become Herald's, for the management API and the importers alike.
// A Statuspage incident has an impact, never a priority: the table below is the documented
// translation (docs/integrations.md), and `metadata.herald.priority` overrides it.

export const priorityByImpact: Record<Impact, number> = {
  critical: 0,
  major: 1,
  minor: 2,
  none: 3,
};

/** The impact Statuspage computes when none is given: from the worst component status. */
export function impactFromStatuses(statuses: readonly ComponentStatus[]): Impact {
  if (statuses.includes('major_outage')) return 'critical';
  if (statuses.includes('partial_outage')) return 'major';
  if (statuses.includes('degraded_performance')) return 'minor';
  return 'none';
}

/**
 * Statuspage's own default texts for an update that changes the status without a message,
 * because a Herald update always has a body.
 */
export const defaultBodyByStatus: Record<IncidentStatus, string> = {
  investigating: 'We are currently investigating this issue.',
  identified: 'The issue has been identified and a fix is being implemented.',
  monitoring: 'A fix has been implemented and we are monitoring the results.',
  resolved: 'This incident has been resolved.',
};
