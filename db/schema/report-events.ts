import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { reports } from './reports.ts';

export const reportEventActions = [
  'filed',
  'accept',
  'rerate',
  'declare',
  'merge',
  'close',
  'escalate',
  'alert',
  'reminder',
  'overdue',
  /** The alert behind the report fired again after it had been resolved at its source. */
  'alert_fired',
  /** Every alert behind the report was resolved at its source. */
  'alert_resolved',
] as const;
export type ReportEventAction = (typeof reportEventActions)[number];

/** A report's history: what was decided, by whom, and the reason the reporter was told. */
export const reportEvents = sqliteTable(
  'report_events',
  {
    id: text('id').primaryKey(),
    reportId: text('report_id')
      .notNull()
      .references(() => reports.id, { onDelete: 'cascade' }),
    action: text('action', { enum: reportEventActions }).notNull(),
    priority: integer('priority'),
    reason: text('reason'),
    incidentId: text('incident_id'),
    actorLabel: text('actor_label').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('report_events_report_id_idx').on(t.reportId, t.at)],
);
