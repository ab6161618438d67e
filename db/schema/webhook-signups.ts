import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { webhooks } from './webhooks.ts';

/**
 * Webhooks a visitor added, through /subscribe or by following one incident: the hashed token
 * behind the manage link shown on the result page and named in every delivery, the only way for
 * them to remove it later (they have no account).
 */
export const webhookSignups = sqliteTable(
  'webhook_signups',
  {
    webhookId: text('webhook_id')
      .primaryKey()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    manageTokenHash: text('manage_token_hash').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('webhook_signups_manage_token_hash_idx').on(t.manageTokenHash)],
);

/**
 * The manage links of visitors' webhooks that are gone, so the link says what happened instead of
 * "not valid": removed by the visitor, by the team, or by Herald after a month paused. Kept a
 * year (`expireVisitorWebhooks` prunes older ones).
 */
export const endedWebhookSignups = sqliteTable('ended_webhook_signups', {
  manageTokenHash: text('manage_token_hash').primaryKey(),
  reason: text('reason', { enum: ['visitor', 'team', 'expired'] }).notNull(),
  endedAt: integer('ended_at', { mode: 'timestamp_ms' }).notNull(),
  /** The incident a follower's webhook followed (it is followed again from its page); else null. */
  incidentId: text('incident_id'),
});
