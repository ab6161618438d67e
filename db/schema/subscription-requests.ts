import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Every subscribe request per address and list, whatever the address's state, so the
 * per-address limit answers a confirmed address exactly as it answers a new one (counting
 * only the confirmation emails sent would tell them apart). Rows older than a day are dropped.
 */
export const subscriptionRequests = sqliteTable(
  'subscription_requests',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    listId: text('list_id').notNull(),
    requestedAt: integer('requested_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('subscription_requests_email_idx').on(t.email, t.requestedAt)],
);
