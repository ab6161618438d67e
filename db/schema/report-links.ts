import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** One-time links that let a company address file one report without signing in. */
export const reportLinks = sqliteTable(
  'report_links',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
    reportId: text('report_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    /**
     * The language of the page the link was asked for from (a tag from server/i18n/languages.ts):
     * the link's mail and the report filed with it speak it. Null reads the page's default.
     */
    language: text('language'),
  },
  (t) => [
    uniqueIndex('report_links_token_hash_idx').on(t.tokenHash),
    index('report_links_email_idx').on(t.email, t.createdAt),
  ],
);
