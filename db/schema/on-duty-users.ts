import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { users } from './users.ts';

/**
 * Users on duty: P0/P1 reports alert them when filed, and they get the half-time reminder and
 * the promise reminders of incidents nobody owns. `byDefault` marks the first admin, on duty
 * from the start so a fresh install tells someone, until anyone else is put on duty.
 */
export const onDutyUsers = sqliteTable('on_duty_users', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  since: integer('since', { mode: 'timestamp_ms' }).notNull(),
  byDefault: integer('by_default', { mode: 'boolean' }).notNull().default(false),
});
