import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * A reader's sign-in through the company's provider, on its way from the public host (where the
 * provider answers) to the audience's own host name (where the reader's cookie must be set).
 * One-time and short-lived; only SHA-256 hashes are kept: of the handoff token in the URL, of
 * the cookie that binds it to the browser that started the sign-in on the audience's host, and
 * of the reader session's token, which the handoff replaces with a fresh one.
 */
export const readerHandoffs = sqliteTable(
  'reader_handoffs',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    browserHash: text('browser_hash').notNull(),
    /** The audience whose host name may take it. */
    audienceSlug: text('audience_slug').notNull(),
    sessionTokenHash: text('session_token_hash').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('reader_handoffs_token_hash_idx').on(t.tokenHash)],
);
