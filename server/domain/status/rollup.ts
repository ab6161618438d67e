import type { ComponentStatus, Impact } from '../../../db/schema/enums.ts';

const componentRank: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

/** Worst of several component statuses (a group's status is its worst child). */
export function worstComponentStatus(statuses: Iterable<ComponentStatus>): ComponentStatus {
  let worst: ComponentStatus = 'operational';
  for (const s of statuses) if (componentRank[s] > componentRank[worst]) worst = s;
  return worst;
}

export type Indicator = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

export const indicatorDescriptions: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major System Outage',
  maintenance: 'Service Under Maintenance',
};

const impactRank: Record<Impact, number> = { none: 0, minor: 1, major: 2, critical: 3 };
const impactFromComponent: Record<ComponentStatus, Impact> = {
  operational: 'none',
  under_maintenance: 'none',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};

/**
 * The page roll-up: worst component gives the indicator (degraded → minor, partial → major,
 * major outage → critical); under_maintenance or the maintenance switch gives maintenance; an
 * unresolved incident raises the indicator to at least its impact.
 */
export function pageIndicator(
  componentStatuses: readonly ComponentStatus[],
  unresolvedIncidentImpacts: readonly Impact[],
  switchOn = false,
): { indicator: Indicator; description: string } {
  let impact: Impact = 'none';
  let anyMaintenance = switchOn;
  for (const s of componentStatuses) {
    if (s === 'under_maintenance') anyMaintenance = true;
    const i = impactFromComponent[s];
    if (impactRank[i] > impactRank[impact]) impact = i;
  }
  for (const i of unresolvedIncidentImpacts) if (impactRank[i] > impactRank[impact]) impact = i;
  const indicator: Indicator = impact === 'none' && anyMaintenance ? 'maintenance' : impact;
  return { indicator, description: indicatorDescriptions[indicator] };
}

/** Default impact for a new incident: from its worst affected component, or its priority. */
export function defaultImpact(priority: number, affected: readonly ComponentStatus[]): Impact {
  const fromComponents = impactFromComponent[worstComponentStatus(affected)];
  const fromPriority: Impact =
    priority === 0 ? 'critical' : priority === 1 ? 'major' : priority === 2 ? 'minor' : 'none';
  return impactRank[fromComponents] >= impactRank[fromPriority] ? fromComponents : fromPriority;
}
