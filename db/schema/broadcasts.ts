import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { deliveryStates } from './enums.ts';
import { subscribers } from './subscribers.ts';

/** One email sent to many: created in the transaction that publishes what it announces. */
export const broadcasts = sqliteTable(
  'broadcasts',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    incidentId: text('incident_id'),
    updateId: text('update_id'),
    maintenanceId: text('maintenance_id'),
    subject: text('subject').notNull(),
    isDrill: integer('is_drill', { mode: 'boolean' }).notNull().default(false),
    /** Its recipients when it was published (the deliveries it will have once filled). */
    total: integer('total').notNull().default(0),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    /**
     * A large broadcast's fill cursor (domain/broadcasts/queue-deliveries.ts): the publish writes
     * its first slice of deliveries, the delivery process the rest, one slice a step. The last
     * subscriber id written while the rest is still to be written; null once every recipient
     * has a delivery (and always for a broadcast written whole at publish).
     */
    fillAfter: text('fill_after'),
    /** Deliveries written so far while filling: the next slice is numbered from here. */
    filled: integer('filled').notNull().default(0),
    /** The recipient rule the fill walks with: the broadcast's lists and components. */
    fillListIds: text('fill_list_ids', { mode: 'json' }).$type<string[] | null>(),
    fillComponentIds: text('fill_component_ids', { mode: 'json' }).$type<string[] | null>(),
  },
  (t) => [
    index('broadcasts_created_at_idx').on(t.createdAt),
    // The delivery process asks on every poll whether a broadcast is being filled.
    index('broadcasts_fill_after_idx')
      .on(t.fillAfter)
      .where(sql`fill_after IS NOT NULL`),
  ],
);

export const deliveries = sqliteTable(
  'deliveries',
  {
    id: text('id').primaryKey(),
    broadcastId: text('broadcast_id')
      .notNull()
      .references(() => broadcasts.id, { onDelete: 'cascade' }),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    state: text('state', { enum: deliveryStates }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    /** The delivery lane holding the lease (`leaseOwner` in server/delivery/lane.ts). */
    leaseOwner: text('lease_owner'),
    messageId: text('message_id').notNull(),
    lastError: text('last_error'),
    /** When the relay last refused it for now: the admin shows how long a stall has lasted. */
    lastErrorAt: integer('last_error_at', { mode: 'timestamp_ms' }),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    uniqueIndex('deliveries_broadcast_id_subscriber_id_idx').on(t.broadcastId, t.subscriberId),
    index('deliveries_state_idx').on(t.state, t.nextAttemptAt),
  ],
);

/** Single emails (confirmation, welcome, reminders) go through the same outbox. */
export const outboxMessages = sqliteTable(
  'outbox_messages',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    toAddress: text('to_address').notNull(),
    payload: text('payload', { mode: 'json' }).notNull(),
    state: text('state', { enum: deliveryStates }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    /** The delivery lane holding the lease (`leaseOwner` in server/delivery/lane.ts). */
    leaseOwner: text('lease_owner'),
    messageId: text('message_id').notNull(),
    lastError: text('last_error'),
    /** When the relay last refused it for now: the admin shows how long a stall has lasted. */
    lastErrorAt: integer('last_error_at', { mode: 'timestamp_ms' }),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('outbox_messages_state_idx').on(t.state, t.nextAttemptAt),
    // Per-address limit on confirmation emails counts recent rows for one address.
    index('outbox_messages_to_address_idx').on(t.toAddress, t.createdAt),
  ],
);
