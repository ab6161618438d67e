import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { submissionStates } from './enums.ts';

/**
 * One-time submission keys: the hidden token of an admin form and the admin API's
 * `Idempotency-Key`. The key is the primary key, so claiming one is a single INSERT that at most
 * one request (of any process on the database) wins; the others read what the first answered.
 * Only the SHA-256 of the key and whose it is is kept. A failed request deletes its row (it
 * changed nothing, so the key may be sent again); a row past `expires_at` may be claimed anew
 * and is pruned by the scheduler.
 */
export const submissionKeys = sqliteTable(
  'submission_keys',
  {
    key: text('key').primaryKey(),
    /** SHA-256 of what was sent (method, path, body): the same key with other content is refused. */
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { enum: submissionStates }).notNull(),
    /** The first answer's status: a form's 303 (or 200, shown in place), the API's 201... */
    status: integer('status'),
    /** Where a form's first answer went; the API's Location header. */
    location: text('location'),
    /** The API's JSON answer; null when it held a secret shown once (never stored). */
    answer: text('answer'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('submission_keys_expires_at_idx').on(t.expiresAt)],
);
