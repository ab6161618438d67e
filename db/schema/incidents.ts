import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { impacts, incidentStatuses } from './enums.ts';

export const incidents = sqliteTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    /** 0 (drop everything) to 3 (next sprint). */
    priority: integer('priority').notNull(),
    status: text('status', { enum: incidentStatuses }).notNull(),
    impact: text('impact', { enum: impacts }).notNull(),
    ownerId: text('owner_id'),
    isDrill: integer('is_drill', { mode: 'boolean' }).notNull().default(false),
    /** Herald posts the holding update itself when a promise lapses (see postLapsedHoldingUpdates). */
    autoHolding: integer('auto_holding', { mode: 'boolean' }).notNull().default(false),
    /**
     * Shown only to the audiences in incident_audiences and to staff audiences, never on a
     * public surface. False is everyone. A flag and not "no rows" so that removing the last
     * chosen audience can never make the incident public.
     */
    audienceOnly: integer('audience_only', { mode: 'boolean' }).notNull().default(false),
    /** Null while the incident is itself scheduled (pre-announced) and not yet public. */
    publishedAt: integer('published_at', { mode: 'timestamp_ms' }),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    monitoringAt: integer('monitoring_at', { mode: 'timestamp_ms' }),
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
    /** The promised time of the next update; null when none is promised. */
    nextUpdateDueAt: integer('next_update_due_at', { mode: 'timestamp_ms' }),
    reminderSentAt: integer('reminder_sent_at', { mode: 'timestamp_ms' }),
    /**
     * When the public page started saying the next update is late (the promise lapsed more than
     * PROMISE_GRACE_MS ago); set once by the scheduler, which bumps the change counter so cached
     * pages stop showing a time in the past. Cleared by every new promise.
     */
    promiseLateAt: integer('promise_late_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('incidents_status_idx').on(t.status),
    index('incidents_started_at_idx').on(t.startedAt),
  ],
);
