import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The periodic review of the incident process. Each row is one period with its figures as they
 * were at its end; the first row is a baseline (not emailed) that starts the first period.
 * Periods chain (`period_start` = the previous `period_end`), and the unique start keeps two
 * processes from writing (and emailing) the same one.
 */
export const lookBacks = sqliteTable(
  'look_backs',
  {
    id: text('id').primaryKey(),
    periodStart: integer('period_start', { mode: 'timestamp_ms' }).notNull(),
    periodEnd: integer('period_end', { mode: 'timestamp_ms' }).notNull(),
    figures: text('figures', { mode: 'json' }),
    /** Null for the baseline. */
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('look_backs_period_start_idx').on(t.periodStart)],
);
