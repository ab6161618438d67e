import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { incidents } from './incidents.ts';
import { users } from './users.ts';

export const actionItemKinds = ['prevent', 'mitigate', 'detect', 'process'] as const;
export type ActionItemKind = (typeof actionItemKinds)[number];
/** During: while it burns (internal); after: from the post-mortem. */
export const actionItemPhases = ['during', 'after'] as const;
export type ActionItemPhase = (typeof actionItemPhases)[number];
export const actionItemStates = ['open', 'done', 'wont_do'] as const;
export type ActionItemState = (typeof actionItemStates)[number];

export const actionItems = sqliteTable(
  'action_items',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    kind: text('kind', { enum: actionItemKinds }).notNull(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id),
    dueAt: integer('due_at', { mode: 'timestamp_ms' }).notNull(),
    phase: text('phase', { enum: actionItemPhases }).notNull(),
    state: text('state', { enum: actionItemStates }).notNull().default('open'),
    /** Required for won't do. */
    stateReason: text('state_reason'),
    closedAt: integer('closed_at', { mode: 'timestamp_ms' }),
    /** Set once each, in the transaction that queues the reminder. */
    reminderBeforeAt: integer('reminder_before_at', { mode: 'timestamp_ms' }),
    reminderOverdueAt: integer('reminder_overdue_at', { mode: 'timestamp_ms' }),
    createdById: text('created_by_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('action_items_incident_id_idx').on(t.incidentId),
    index('action_items_state_idx').on(t.state, t.dueAt),
  ],
);

export const remediationStates = ['open', 'in_progress', 'done', 'wont_do'] as const;
export type RemediationState = (typeof remediationStates)[number];

/** What must be made up to customers; tracked apart from the fix, never blocks the all-clear. */
export const remediationItems = sqliteTable(
  'remediation_items',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    what: text('what').notNull(),
    affected: text('affected').notNull(),
    /** The starting priority the PM set; support or sales confirm it. */
    priority: integer('priority').notNull(),
    prioritySetById: text('priority_set_by_id'),
    prioritySetByLabel: text('priority_set_by_label').notNull(),
    confirmedById: text('confirmed_by_id'),
    confirmedByLabel: text('confirmed_by_label'),
    confirmedAt: integer('confirmed_at', { mode: 'timestamp_ms' }),
    ownerId: text('owner_id').references(() => users.id),
    state: text('state', { enum: remediationStates }).notNull().default('open'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('remediation_items_incident_id_idx').on(t.incidentId)],
);
