import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One row (id = 1) of page-wide settings. `change_counter` is bumped by every write, in the
 * same transaction, so every Herald process sharing the database can key its page cache by it.
 */
export const settings = sqliteTable('settings', {
  id: integer('id').primaryKey(),
  pageId: text('page_id').notNull(),
  pageName: text('page_name').notNull(),
  publicUrl: text('public_url'),
  timeZone: text('time_zone').notNull().default('Etc/UTC'),
  /**
   * The language readers get when they chose none and their browser asks for none Herald has
   * (a tag from server/i18n/languages.ts); also the language the PM writes updates in.
   */
  defaultLanguage: text('default_language').notNull().default('en'),
  /**
   * Comma-separated language tags the declare and update forms offer a box for, so the PM can
   * write the update in them too (empty: none).
   */
  translationLanguages: text('translation_languages').notNull().default(''),
  companyDomains: text('company_domains').notNull().default(''),
  maintenanceActive: integer('maintenance_active', { mode: 'boolean' }).notNull().default(false),
  maintenanceMessage: text('maintenance_message'),
  maintenanceSince: integer('maintenance_since', { mode: 'timestamp_ms' }),
  maintenanceUntil: integer('maintenance_until', { mode: 'timestamp_ms' }),
  /**
   * Random key behind subscribers' manage/unsubscribe links when SECRET_KEY is not set: kept in
   * the database so every Herald process sharing it derives the same links.
   */
  linkSecret: text('link_secret'),
  /** Minutes a P0 / P1 report may wait for a triage decision. */
  triageMinutesP0: integer('triage_minutes_p0').notNull().default(15),
  triageMinutesP1: integer('triage_minutes_p1').notNull().default(30),
  /** How many P1s the team can handle a week; more means spending on quality, not features. */
  p1BudgetPerWeek: integer('p1_budget_per_week').notNull().default(3),
  /** The user who settles disagreements: overdue triage and reporters' escalations go to them. */
  finalAuthorityUserId: text('final_authority_user_id'),
  /**
   * Minutes until the next promised update when the form or API names none, per priority.
   * Null (P2/P3 by default) means no promise unless one is asked for.
   */
  promiseMinutesP0: integer('promise_minutes_p0').notNull().default(15),
  promiseMinutesP1: integer('promise_minutes_p1').notNull().default(30),
  promiseMinutesP2: integer('promise_minutes_p2'),
  promiseMinutesP3: integer('promise_minutes_p3'),
  /**
   * Whether staff may sign in with a local password. Only an admin signed in through OpenID
   * Connect can switch it off; the command line can always switch it back on.
   */
  localPasswords: integer('local_passwords', { mode: 'boolean' }).notNull().default(true),
  changeCounter: integer('change_counter').notNull().default(0),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});
