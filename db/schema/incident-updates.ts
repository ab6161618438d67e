import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { incidentStatuses, updateStates } from './enums.ts';
import { incidents } from './incidents.ts';

export const incidentUpdates = sqliteTable(
  'incident_updates',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    status: text('status', { enum: incidentStatuses }).notNull(),
    /** True when this update changed the incident's status (feeds label it by status). */
    statusChanged: integer('status_changed', { mode: 'boolean' }).notNull().default(true),
    body: text('body').notNull(),
    /**
     * The PM's own translations of `body`, by language tag ({"de": "…"}), written beside it;
     * readers in a language without one get `body`, marked with the default language.
     */
    translations: text('translations', { mode: 'json' }).$type<Record<string, string> | null>(),
    /** Only for internal lists and the admin: never on the page, API or feeds. */
    internalNote: text('internal_note'),
    notify: integer('notify', { mode: 'boolean' }).notNull().default(false),
    state: text('state', { enum: updateStates }).notNull().default('published'),
    /** The next update promised by this one, if any. */
    nextUpdateDueAt: integer('next_update_due_at', { mode: 'timestamp_ms' }),
    /** Priority change recorded by this update, with its reason (kept in the timeline). */
    priorityFrom: integer('priority_from'),
    priorityTo: integer('priority_to'),
    priorityReason: text('priority_reason'),
    /** Set when Herald itself posted the update (holding update on a lapsed promise). */
    automatic: integer('automatic', { mode: 'boolean' }).notNull().default(false),
    authorId: text('author_id'),
    scheduledFor: integer('scheduled_for', { mode: 'timestamp_ms' }),
    publishedAt: integer('published_at', { mode: 'timestamp_ms' }),
    /** The time shown to readers: intended time, kept even when published late. */
    displayAt: integer('display_at', { mode: 'timestamp_ms' }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('incident_updates_incident_id_idx').on(t.incidentId, t.displayAt),
    index('incident_updates_state_idx').on(t.state, t.scheduledFor),
  ],
);
