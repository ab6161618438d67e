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
    /** For "started": the start as a time, when one was given; figures count from it. */
    at: integer('at', { mode: 'timestamp_ms' }),
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
    /** Set once, never cleared: a retracted decision stays in the record, struck through. */
    retractedAt: integer('retracted_at', { mode: 'timestamp_ms' }),
    retractedByLabel: text('retracted_by_label'),
    retractReason: text('retract_reason'),
  },
  (t) => [index('incident_decisions_incident_id_idx').on(t.incidentId, t.decidedAt)],
);

export const changeReviewStates = ['requested', 'confirmed', 'objected'] as const;
export type ChangeReviewState = (typeof changeReviewStates)[number];

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
    /**
     * Who is asked to review it; null: nobody else looks at it (the change is marked). The
     * column's name is older than the review request: it names the reviewer asked, and
     * `reviewState` says whether they confirmed.
     */
    reviewerId: text('reviewed_by_id'),
    reviewState: text('review_state', { enum: changeReviewStates }).notNull().default('requested'),
    reviewReason: text('review_reason'),
    reviewedAt: integer('reviewed_at', { mode: 'timestamp_ms' }),
    backupTaken: integer('backup_taken', { mode: 'boolean' }).notNull(),
    recordsTouched: integer('records_touched'),
    triedOnSample: integer('tried_on_sample', { mode: 'boolean' }).notNull(),
    authorLabel: text('author_label').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('incident_changes_incident_id_idx').on(t.incidentId, t.ranAt)],
);
