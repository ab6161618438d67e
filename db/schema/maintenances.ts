import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { componentStatuses, maintenanceStates } from './enums.ts';
import { components } from './components.ts';

export const maintenances = sqliteTable(
  'maintenances',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    status: text('status', { enum: maintenanceStates }).notNull().default('scheduled'),
    scheduledFor: integer('scheduled_for', { mode: 'timestamp_ms' }).notNull(),
    scheduledUntil: integer('scheduled_until', { mode: 'timestamp_ms' }).notNull(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }),
    completedAt: integer('completed_at', { mode: 'timestamp_ms' }),
    autoStart: integer('auto_start', { mode: 'boolean' }).notNull().default(true),
    autoComplete: integer('auto_complete', { mode: 'boolean' }).notNull().default(true),
    notify: integer('notify', { mode: 'boolean' }).notNull().default(true),
    notifyOnSchedule: integer('notify_on_schedule', { mode: 'boolean' }).notNull().default(true),
    notifyReminder: integer('notify_reminder', { mode: 'boolean' }).notNull().default(true),
    notifyOnStart: integer('notify_on_start', { mode: 'boolean' }).notNull().default(true),
    notifyOnComplete: integer('notify_on_complete', { mode: 'boolean' }).notNull().default(true),
    reminderLeadMinutes: integer('reminder_lead_minutes').notNull().default(60),
    reminderSentAt: integer('reminder_sent_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('maintenances_status_idx').on(t.status, t.scheduledFor)],
);

/** Affected components, with the status each had before the window put it under maintenance. */
export const maintenanceComponents = sqliteTable(
  'maintenance_components',
  {
    maintenanceId: text('maintenance_id')
      .notNull()
      .references(() => maintenances.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    previousStatus: text('previous_status', { enum: componentStatuses }),
    position: integer('position').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.maintenanceId, t.componentId] })],
);

export const maintenanceUpdates = sqliteTable(
  'maintenance_updates',
  {
    id: text('id').primaryKey(),
    maintenanceId: text('maintenance_id')
      .notNull()
      .references(() => maintenances.id, { onDelete: 'cascade' }),
    status: text('status', { enum: maintenanceStates }).notNull(),
    statusChanged: integer('status_changed', { mode: 'boolean' }).notNull().default(true),
    body: text('body').notNull(),
    notify: integer('notify', { mode: 'boolean' }).notNull().default(false),
    authorId: text('author_id'),
    displayAt: integer('display_at', { mode: 'timestamp_ms' }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('maintenance_updates_maintenance_id_idx').on(t.maintenanceId, t.displayAt)],
);
