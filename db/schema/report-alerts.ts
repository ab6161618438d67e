import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { reports } from './reports.ts';

export const reportAlertStatuses = ['firing', 'resolved'] as const;

/** The alerts a report lists (an Alertmanager group has several), one row per fingerprint. */
export const reportAlerts = sqliteTable(
  'report_alerts',
  {
    reportId: text('report_id')
      .notNull()
      .references(() => reports.id, { onDelete: 'cascade' }),
    fingerprint: text('fingerprint').notNull(),
    status: text('status', { enum: reportAlertStatuses }).notNull(),
    title: text('title').notNull(),
    labels: text('labels', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    annotations: text('annotations', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    link: text('link'),
    startsAt: integer('starts_at', { mode: 'timestamp_ms' }),
    endsAt: integer('ends_at', { mode: 'timestamp_ms' }),
    firstSeenAt: integer('first_seen_at', { mode: 'timestamp_ms' }).notNull(),
    lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.reportId, t.fingerprint] }),
    // An alert regrouped under another key finds the report that already lists it.
    index('report_alerts_fingerprint_idx').on(t.fingerprint),
  ],
);
