import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { incidents } from './incidents.ts';

// The record written while an incident burns. Internal only: nothing here is ever read by the
// public page, the feeds, the v2 API or mail for public lists.

export const factQuestions = [
  'started',
  'cause',
  'ongoing',
  'customer_impact',
  'legal',
  'more_people',
] as const;
export type FactQuestion = (typeof factQuestions)[number];

/** One answer per question per incident; rewritten in place, the audit log keeps the history. */
export const incidentFacts = sqliteTable(
  'incident_facts',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    question: text('question', { enum: factQuestions }).notNull(),
    answer: text('answer').notNull(),
    authorId: text('author_id'),
    authorLabel: text('author_label').notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('incident_facts_incident_id_idx').on(t.incidentId, t.question)],
);

export const incidentDecisions = sqliteTable(
  'incident_decisions',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    decision: text('decision').notNull(),
    why: text('why'),
    authorId: text('author_id'),
    authorLabel: text('author_label').notNull(),
    decidedAt: integer('decided_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('incident_decisions_incident_id_idx').on(t.incidentId, t.decidedAt)],
);

/** A script or command run against production during the incident. */
export const incidentChanges = sqliteTable(
  'incident_changes',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    what: text('what').notNull(),
    target: text('target').notNull(),
    ranAt: integer('ran_at', { mode: 'timestamp_ms' }).notNull(),
    ranById: text('ran_by_id').notNull(),
    /** Null: nobody else looked at it (the change is marked). */
    reviewedById: text('reviewed_by_id'),
    backupTaken: integer('backup_taken', { mode: 'boolean' }).notNull(),
    recordsTouched: integer('records_touched'),
    triedOnSample: integer('tried_on_sample', { mode: 'boolean' }).notNull(),
    authorLabel: text('author_label').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('incident_changes_incident_id_idx').on(t.incidentId, t.ranAt)],
);
