import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { incidents } from './incidents.ts';

/**
 * One post-mortem per incident, in two parts with their own audiences: the public part (the
 * `body` column, Markdown) is what publishing shows on the page, feeds, v2 and public mail; the
 * internal part is the team's (the record, who did what) and is never published. A draft until
 * published, and again once unpublished.
 */
export const postmortems = sqliteTable(
  'postmortems',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    publicBody: text('body').notNull(),
    internalBody: text('internal_body').notNull().default(''),
    authorLabel: text('author_label').notNull(),
    publishedAt: integer('published_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('postmortems_incident_id_idx').on(t.incidentId)],
);
