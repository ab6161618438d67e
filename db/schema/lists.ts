import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { audiences } from './audiences.ts';

/** Distribution lists people join and leave themselves. */
export const lists = sqliteTable(
  'lists',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** Internal lists take only allowed domains and carry internal notes. */
    isInternal: integer('is_internal', { mode: 'boolean' }).notNull().default(false),
    /**
     * Subject lines stay in English (`PRIORITY 0 ISSUE UPDATE: …`) for every reader of this
     * list, for teams whose mail rules or habits expect them; the body still follows the reader.
     */
    subjectsInEnglish: integer('subjects_in_english', { mode: 'boolean' }).notNull().default(false),
    /** Comma-separated domains an address must be on to join; empty means anyone. */
    allowedDomains: text('allowed_domains').notNull().default(''),
    /** Comma-separated priorities this list receives, e.g. "0,1". */
    priorities: text('priorities').notNull().default('0,1'),
    isDrill: integer('is_drill', { mode: 'boolean' }).notNull().default(false),
    /**
     * A named audience's own list: only its members join (from its page) and stay on it, it
     * reads the audience's texts, and it is never offered or named on public pages. Removing
     * the audience removes its lists with their subscribers. Null: a public or internal list.
     */
    audienceId: text('audience_id').references(() => audiences.id, { onDelete: 'cascade' }),
    /**
     * The subject of an incident update and of the all-clear to this list, with placeholders
     * ({priority}, {title}, {TITLE}, {impact}, {status}); null uses the default for the list's
     * kind: priorities in capitals for internal lists, impact in words for public ones.
     */
    subjectUpdate: text('subject_update'),
    subjectResolved: text('subject_resolved'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('lists_slug_idx').on(t.slug),
    index('lists_audience_id_idx').on(t.audienceId),
  ],
);
