import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { alertRuleStatuses } from './enums.ts';

/**
 * Routing rules for alerts, evaluated in `position` order; the first whose every matcher equals
 * the alert's label wins. A rule suggests a component and a priority, may set the component's
 * status while the alert fires, and declares an incident only when `declare` says so.
 */
export const alertRules = sqliteTable(
  'alert_rules',
  {
    id: text('id').primaryKey(),
    position: integer('position').notNull(),
    name: text('name').notNull(),
    /** label → exact value; every one must match. An empty object matches every alert. */
    matchers: text('matchers', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    componentId: text('component_id'),
    priority: integer('priority').notNull(),
    setStatus: text('set_status', { enum: alertRuleStatuses }),
    declare: integer('declare', { mode: 'boolean' }).notNull().default(false),
    /** Templates of the declared incident's title and first (public) update. */
    incidentTitle: text('incident_title'),
    incidentBody: text('incident_body'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('alert_rules_position_idx').on(t.position)],
);
