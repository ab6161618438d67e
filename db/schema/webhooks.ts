import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { type WebhookEvent, webhookKinds, webhookStates } from './enums.ts';
import { incidents } from './incidents.ts';

/** Webhook and chat subscribers (Slack, Teams, Discord incoming webhooks). */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: webhookKinds }).notNull(),
    url: text('url').notNull(),
    /** Components it cares about; null or empty for every component. */
    componentIds: text('component_ids', { mode: 'json' }).$type<string[] | null>(),
    events: text('events', { mode: 'json' }).$type<WebhookEvent[]>().notNull(),
    /** Comma-separated incident priorities it receives, as for email lists. */
    priorities: text('priorities').notNull().default('0,1'),
    /** A company channel: carries the internal note. */
    internal: integer('internal', { mode: 'boolean' }).notNull().default(false),
    /** Drill channels get practice incidents only; the others never do. */
    isDrill: integer('is_drill', { mode: 'boolean' }).notNull().default(false),
    /** Set by an admin only: lets the URL resolve to loopback or private addresses. */
    allowPrivate: integer('allow_private', { mode: 'boolean' }).notNull().default(false),
    /** Signing secret, AES-256-GCM under a key derived from SECRET_KEY (see secret-box.ts). */
    secretBox: text('secret_box').notNull(),
    /** Set for a visitor following one incident: only its updates, until it resolves. */
    incidentId: text('incident_id').references(() => incidents.id, { onDelete: 'cascade' }),
    state: text('state', { enum: webhookStates }).notNull().default('active'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    pausedAt: integer('paused_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('webhooks_state_idx').on(t.state),
    index('webhooks_incident_id_idx').on(t.incidentId),
  ],
);
