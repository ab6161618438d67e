import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { components } from './components.ts';

/** One private Markdown runbook per component, written before it breaks. */
export const runbooks = sqliteTable('runbooks', {
  componentId: text('component_id')
    .primaryKey()
    .references(() => components.id, { onDelete: 'cascade' }),
  body: text('body').notNull(),
  /** Saving a runbook counts as reviewing it; older than 90 days it is marked stale. */
  lastReviewedAt: integer('last_reviewed_at', { mode: 'timestamp_ms' }).notNull(),
  lastEditedBy: text('last_edited_by').notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});
