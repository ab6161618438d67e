import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { componentStatuses } from './enums.ts';
import { components } from './components.ts';
import { incidents } from './incidents.ts';
import { incidentUpdates } from './incident-updates.ts';

/** Components an incident affects, with the status the incident put them in. */
export const incidentComponents = sqliteTable(
  'incident_components',
  {
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    status: text('status', { enum: componentStatuses }).notNull(),
    position: integer('position').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.componentId] })],
);

/** What an update did to each component: `affected_components` in the v2 API. */
export const updateAffectedComponents = sqliteTable(
  'update_affected_components',
  {
    updateId: text('update_id')
      .notNull()
      .references(() => incidentUpdates.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    oldStatus: text('old_status', { enum: componentStatuses }).notNull(),
    newStatus: text('new_status', { enum: componentStatuses }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.updateId, t.componentId] })],
);
