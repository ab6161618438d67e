import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { subscriberStates } from './enums.ts';
import { incidents } from './incidents.ts';

/**
 * Addresses following one incident by email: double opt-in and the manage/unsubscribe tokens
 * exactly as list subscribers have them, but bound to the incident instead of a list. Following
 * ends when the incident resolves (ended_at): the resolve update is the last email.
 */
export const incidentFollowers = sqliteTable(
  'incident_followers',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    /**
     * The language of the page they followed from (a tag from server/i18n/languages.ts): their
     * mail's. Null for followers from before it was recorded: they read the page's default.
     */
    language: text('language'),
    state: text('state', { enum: subscriberStates }).notNull().default('pending'),
    /** SHA-256 of the confirmation token, and when it expires (see subscribers/tokens.ts). */
    confirmTokenHash: text('confirm_token_hash'),
    confirmExpiresAt: integer('confirm_expires_at', { mode: 'timestamp_ms' }),
    /** SHA-256 of the token behind the manage and one-click unsubscribe links. */
    manageTokenHash: text('manage_token_hash'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    confirmedAt: integer('confirmed_at', { mode: 'timestamp_ms' }),
    unsubscribedAt: integer('unsubscribed_at', { mode: 'timestamp_ms' }),
    /** Set when the incident resolved: nothing more is sent, even if it reopens. */
    endedAt: integer('ended_at', { mode: 'timestamp_ms' }),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('incident_followers_incident_id_email_idx').on(t.incidentId, t.email),
    index('incident_followers_confirm_token_hash_idx').on(t.confirmTokenHash),
    index('incident_followers_manage_token_hash_idx').on(t.manageTokenHash),
  ],
);
