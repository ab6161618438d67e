/** The single emails of reporting and triage, rendered at send time by mail/compose/reports.ts. */
export const reportOutboxKinds = [
  'report_link',
  'report_receipt',
  'report_decision',
  'report_alert',
  'report_follow',
] as const;
export type ReportOutboxKind = (typeof reportOutboxKinds)[number];

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

export type ReportOutboxPayload =
  /** report_link: the one-time link to the report form. */
  | { reportLinkId: string }
  /** report_receipt, report_decision (eventId), report_follow (updateId, or the next-day follow-up). */
  | { reportId: string; eventId?: string; updateId?: string; followUp?: true }
  /** report_alert: a new P0/P1 report, the half-time reminder, the overdue escalation, a reporter's escalation. */
  | { reportId: string; alert: ReportAlertKind; eventId?: string };

export function isReportOutboxKind(kind: string): kind is ReportOutboxKind {
  return (reportOutboxKinds as readonly string[]).includes(kind);
}
