import { integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { incidentUpdates } from './incident-updates.ts';

/**
 * A named audience: readers beyond the public (a customer, a region, the staff) with their own
 * page, feeds and v2 JSON. Members are the addresses in `member_emails`, anyone at one of
 * `member_domains`, or everyone signed in through the company's identity provider.
 */
export const audiences = sqliteTable(
  'audiences',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    memberDomains: text('member_domains', { mode: 'json' }).$type<string[]>().notNull(),
    memberEmails: text('member_emails', { mode: 'json' }).$type<string[]>().notNull(),
    everyoneSignedIn: integer('everyone_signed_in', { mode: 'boolean' }).notNull().default(false),
    /** The components it sees; null for all. */
    componentIds: text('component_ids', { mode: 'json' }).$type<string[] | null>(),
    /** Staff audiences also read internal notes. */
    seesInternal: integer('sees_internal', { mode: 'boolean' }).notNull().default(false),
    /** Part of the feed token: bumping it revokes every feed URL given out before. */
    tokenVersion: integer('token_version').notNull().default(1),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('audiences_slug_idx').on(t.slug)],
);

/** An update's text for one audience, where it differs from the public text. */
export const updateAudienceTexts = sqliteTable(
  'update_audience_texts',
  {
    updateId: text('update_id')
      .notNull()
      .references(() => incidentUpdates.id, { onDelete: 'cascade' }),
    audienceId: text('audience_id')
      .notNull()
      .references(() => audiences.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
  },
  (t) => [primaryKey({ columns: [t.updateId, t.audienceId] })],
);
