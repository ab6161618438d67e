import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { components } from './components.ts';

/** Every saved version of a runbook: its edit history. */
export const runbookRevisions = sqliteTable(
  'runbook_revisions',
  {
    id: text('id').primaryKey(),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    editedBy: text('edited_by').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('runbook_revisions_component_id_idx').on(t.componentId, t.at)],
);
