import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { incidents } from './incidents.ts';

/** What support and sales say on calls and in chats about one incident, in plain words. */
export const incidentSupportScripts = sqliteTable('incident_support_scripts', {
  incidentId: text('incident_id')
    .primaryKey()
    .references(() => incidents.id, { onDelete: 'cascade' }),
  body: text('body').notNull(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});
