import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { subscriberImportStates } from './enums.ts';
import { lists } from './lists.ts';

/**
 * A CSV import running in the background: its progress is written in the same transaction as
 * each chunk of rows, so any Herald process on the database reads exactly what is imported.
 * `rejected` keeps the first 1,000 rejected rows (line, value, reason); `rejected_count` all.
 */
export const subscriberImports = sqliteTable(
  'subscriber_imports',
  {
    id: text('id').primaryKey(),
    listId: text('list_id')
      .notNull()
      .references(() => lists.id, { onDelete: 'cascade' }),
    state: text('state', { enum: subscriberImportStates }).notNull().default('running'),
    rowsTotal: integer('rows_total').notNull(),
    rowsDone: integer('rows_done').notNull().default(0),
    imported: integer('imported').notNull().default(0),
    alreadySubscribed: integer('already_subscribed').notNull().default(0),
    rejectedCount: integer('rejected_count').notNull().default(0),
    rejected: text('rejected', { mode: 'json' })
      .$type<{ line: number; value: string; reason: string }[]>()
      .notNull(),
    error: text('error'),
    actorLabel: text('actor_label').notNull(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('subscriber_imports_list_id_idx').on(t.listId, t.startedAt)],
);
