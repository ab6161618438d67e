import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { incidents } from './incidents.ts';

export const followUpStates = ['scheduled', 'sent', 'skipped'] as const;
export type FollowUpState = (typeof followUpStates)[number];

/**
 * The next-day follow-up after a P0/P1 all-clear, to the same audience. Proposed for the next
 * working day at 10:00 in the page's zone; it goes out once at its time unless skipped.
 */
export const followUps = sqliteTable(
  'follow_ups',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    scheduledFor: integer('scheduled_for', { mode: 'timestamp_ms' }).notNull(),
    state: text('state', { enum: followUpStates }).notNull(),
    /** False while it is Herald's proposal nobody has looked at. */
    edited: integer('edited', { mode: 'boolean' }).notNull().default(false),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
    broadcastId: text('broadcast_id'),
    /** Where replies go (Reply-To); null: the incident owner's address. */
    replyTo: text('reply_to'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('follow_ups_incident_id_idx').on(t.incidentId),
    index('follow_ups_state_idx').on(t.state, t.scheduledFor),
  ],
);
