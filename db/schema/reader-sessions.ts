import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { readerSignInMethods } from './enums.ts';

/**
 * A reader's browser session: a verified address, not a Herald account, so it opens audience
 * pages the address belongs to and nothing else. Only the SHA-256 of the cookie is kept.
 */
export const readerSessions = sqliteTable(
  'reader_sessions',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    email: text('email').notNull(),
    method: text('method', { enum: readerSignInMethods }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('reader_sessions_token_hash_idx').on(t.tokenHash),
    index('reader_sessions_expires_at_idx').on(t.expiresAt),
  ],
);
