import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { audiences } from './audiences.ts';

/**
 * One-time links that sign a member of a named audience in to its page. Only the SHA-256 of
 * the link's token is kept; the token is an HMAC of the row, so the outbox renders it at send
 * time.
 */
export const readerSignInLinks = sqliteTable(
  'reader_sign_in_links',
  {
    id: text('id').primaryKey(),
    audienceId: text('audience_id')
      .notNull()
      .references(() => audiences.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('reader_sign_in_links_token_hash_idx').on(t.tokenHash),
    index('reader_sign_in_links_email_idx').on(t.email, t.createdAt),
  ],
);
