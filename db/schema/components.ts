import { type AnySQLiteColumn, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { componentStatuses } from './enums.ts';

/** Components and component groups share one table, as in the Statuspage API. */
export const components = sqliteTable(
  'components',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description'),
    status: text('status', { enum: componentStatuses }).notNull().default('operational'),
    isGroup: integer('is_group', { mode: 'boolean' }).notNull().default(false),
    groupId: text('group_id').references((): AnySQLiteColumn => components.id, {
      onDelete: 'set null',
    }),
    /** Order among siblings (top level, or within the group). */
    position: integer('position').notNull().default(0),
    showcase: integer('showcase', { mode: 'boolean' }).notNull().default(true),
    onlyShowIfDegraded: integer('only_show_if_degraded', { mode: 'boolean' })
      .notNull()
      .default(false),
    startDate: text('start_date'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('components_group_id_idx').on(t.groupId)],
);
