/**
 * `filed`: a new P0/P1 report; `resolved_at_source`: the alert behind an incident's report
 * resolved at its source.
 */
export const reportAlertKinds = [
  'filed',
  'reminder',
  'overdue',
  'escalation',
  'resolved_at_source',
] as const;
export type ReportAlertKind = (typeof reportAlertKinds)[number];
