import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { componentStatuses } from './enums.ts';
import { components } from './components.ts';

/** Every component status change with its time: the source for uptime bars. */
export const componentStatusChanges = sqliteTable(
  'component_status_changes',
  {
    id: text('id').primaryKey(),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    oldStatus: text('old_status', { enum: componentStatuses }),
    newStatus: text('new_status', { enum: componentStatuses }).notNull(),
    incidentId: text('incident_id'),
    maintenanceId: text('maintenance_id'),
    changedAt: integer('changed_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('component_status_changes_component_id_idx').on(t.componentId, t.changedAt)],
);
