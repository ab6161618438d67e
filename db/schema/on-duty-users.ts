import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { users } from './users.ts';

/** Users on duty: they get the half-time reminder for P0/P1 reports waiting for a decision. */
export const onDutyUsers = sqliteTable('on_duty_users', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  since: integer('since', { mode: 'timestamp_ms' }).notNull(),
});
