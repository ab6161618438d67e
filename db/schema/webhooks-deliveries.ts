import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { deliveryStates, webhookEvents } from './enums.ts';
import { webhooks } from './webhooks.ts';

/**
 * One POST to one webhook. `ref` names what it reports (incident and update, or a component
 * change, or a test); the body is rendered at send time from it, limited to what was true then.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: text('event', { enum: [...webhookEvents, 'test'] }).notNull(),
    ref: text('ref', { mode: 'json' }).$type<Record<string, string | null>>().notNull(),
    state: text('state', { enum: deliveryStates }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    /** The delivery lane holding the lease (`leaseOwner` in server/delivery/lane.ts). */
    leaseOwner: text('lease_owner'),
    /** The receiver's last HTTP status, null when it never answered. */
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('webhook_deliveries_state_idx').on(t.state, t.nextAttemptAt),
    index('webhook_deliveries_webhook_id_idx').on(t.webhookId, t.createdAt),
    // Each webhook's queue head (its oldest unfinished delivery), found without walking history.
    index('webhook_deliveries_queue_idx')
      .on(t.webhookId, t.createdAt)
      .where(sql`state IN ('pending', 'sending')`),
  ],
);
