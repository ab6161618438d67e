import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Which published incident updates a report's reporter was mailed (the reporter follows the
 * incident their report was declared as or merged into). The key keeps each one to one email.
 */
export const reportUpdateNotices = sqliteTable(
  'report_update_notices',
  {
    reportId: text('report_id').notNull(),
    updateId: text('update_id').notNull(),
    queuedAt: integer('queued_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.reportId, t.updateId] })],
);
