import type { AlertRuleStatus } from '../../../db/schema/index.ts';

// Pure rules of alert routing: which rule an alert meets, what priority it gets, and the text a
// declaring rule writes. They touch no database, so the intake, the admin preview and the tests
// agree.

/** An alert without a matching rule waits in triage as a P2. */
export const UNROUTED_PRIORITY = 2;

export const DEFAULT_INCIDENT_TITLE = '{component} is having problems';
export const DEFAULT_INCIDENT_BODY =
  'We are investigating a problem with {component}. We will post an update soon.';

export interface RuleLike {
  id: string;
  position: number;
  matchers: Record<string, string>;
  componentId: string | null;
  priority: number;
  setStatus: AlertRuleStatus | null;
  declare: boolean;
  incidentTitle: string | null;
  incidentBody: string | null;
}

/** The first rule, in position order, whose every matcher equals the alert's label. */
export function matchRule<R extends RuleLike>(
  rules: readonly R[],
  labels: Record<string, string>,
): R | null {
  const ordered = [...rules].sort((a, b) => a.position - b.position);
  for (const rule of ordered) {
    if (Object.entries(rule.matchers).every(([k, v]) => labels[k] === v)) return rule;
  }
  return null;
}

/** Fills `{alert}` and `{component}`; a template is checked for other placeholders on save. */
export function fillTemplate(template: string, values: { alert: string; component: string }) {
  return template.replace(/\{(alert|component)\}/g, (_, k: 'alert' | 'component') => values[k]);
}

/**
 * The labels routing reads for a group: those every alert shares (as Alertmanager's
 * commonLabels), else the first alert's.
 */
export function routingLabels(
  common: Record<string, string>,
  alerts: { labels: Record<string, string> }[],
): Record<string, string> {
  if (Object.keys(common).length > 0) return common;
  if (alerts.length === 0) return {};
  const [first, ...rest] = alerts;
  const shared: Record<string, string> = {};
  for (const [k, v] of Object.entries(first!.labels))
    if (rest.every((a) => a.labels[k] === v)) shared[k] = v;
  return shared;
}

/** "firing" while any alert of the report fires; resolved once all are. */
export function groupStatus(alerts: { status: 'firing' | 'resolved' }[]): 'firing' | 'resolved' {
  return alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
}
