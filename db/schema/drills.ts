import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const drillStates = ['scheduled', 'started', 'failed'] as const;
export type DrillState = (typeof drillStates)[number];

/** A practice incident planned ahead: at its time Herald declares it, to drill lists only. */
export const drills = sqliteTable(
  'drills',
  {
    id: text('id').primaryKey(),
    scenario: text('scenario').notNull(),
    title: text('title').notNull(),
    priority: integer('priority').notNull(),
    componentIds: text('component_ids', { mode: 'json' }).$type<string[]>().notNull(),
    /** Users told when the drill starts (JSON array of ids). */
    participantIds: text('participant_ids', { mode: 'json' }).$type<string[]>().notNull(),
    scheduledFor: integer('scheduled_for', { mode: 'timestamp_ms' }).notNull(),
    state: text('state', { enum: drillStates }).notNull().default('scheduled'),
    incidentId: text('incident_id'),
    lastError: text('last_error'),
    createdBy: text('created_by').notNull(),
    /**
     * The user who scheduled it, when a person did (not a token or the CLI): with no active
     * participant left, the drill's promise reminders go to them.
     */
    createdById: text('created_by_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('drills_state_idx').on(t.state, t.scheduledFor)],
);
