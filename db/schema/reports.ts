import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import {
  type AlertRuleStatus,
  type AlertSource,
  alertSources,
  componentStatuses,
} from './enums.ts';

/** "Is something broken that used to work, or do you need something new?" */
export const reportKinds = ['bug', 'feature'] as const;
export type ReportKind = (typeof reportKinds)[number];

/** `open` waits in the triage queue; the other states are decisions. */
export const reportStates = ['open', 'accepted', 'declared', 'merged', 'closed'] as const;
export type ReportState = (typeof reportStates)[number];

export const reportCloseReasons = ['feature_request', 'duplicate', 'not_reproducible'] as const;
export type ReportCloseReason = (typeof reportCloseReasons)[number];

/** What someone at the company reported, with the priority they picked and the PM's decision. */
export const reports = sqliteTable(
  'reports',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: reportKinds }).notNull(),
    state: text('state', { enum: reportStates }).notNull().default('open'),
    reporterEmail: text('reporter_email').notNull(),
    /** Set when a signed-in user filed it. */
    reporterUserId: text('reporter_user_id'),
    whatHappened: text('what_happened').notNull(),
    expected: text('expected').notNull(),
    reproduce: text('reproduce').notNull(),
    affected: text('affected').notNull(),
    startedWhen: text('started_when').notNull(),
    /** Components the reporter thinks are involved (JSON array of ids), to pre-fill a declare. */
    componentIds: text('component_ids', { mode: 'json' }).$type<string[]>(),
    /** What the reporter picked; never changes. */
    reportedPriority: integer('reported_priority').notNull(),
    /** The priority in force: the reporter's until the PM re-rates it. */
    priority: integer('priority').notNull(),
    /** SHA-256 of the HMAC token behind the reporter's private status link. */
    statusTokenHash: text('status_token_hash').notNull(),
    incidentId: text('incident_id'),
    /**
     * The reporter's language (a tag from server/i18n/languages.ts), from the page they filed
     * on; null (alerts, reports from before it was recorded) reads the page's default.
     */
    language: text('language'),
    closeReason: text('close_reason', { enum: reportCloseReasons }),
    /** The first decision ends the timebox. */
    decidedAt: integer('decided_at', { mode: 'timestamp_ms' }),
    reminderSentAt: integer('reminder_sent_at', { mode: 'timestamp_ms' }),
    overdueEscalatedAt: integer('overdue_escalated_at', { mode: 'timestamp_ms' }),
    /** A reporter may escalate a re-rating once. */
    reporterEscalatedAt: integer('reporter_escalated_at', { mode: 'timestamp_ms' }),
    // Set only for reports a monitoring system filed through /api/intake/*.
    /** Which intake endpoint filed it; null for reports from people. */
    alertSource: text('alert_source', { enum: alertSources }).$type<AlertSource>(),
    /** The dedup key: Alertmanager's or Grafana's groupKey, else the alert's own key. */
    alertKey: text('alert_key'),
    /** The source's link (generatorURL, the monitor, the PagerDuty incident). */
    alertLink: text('alert_link'),
    /** The labels routing saw (a group's common labels). */
    alertLabels: text('alert_labels', { mode: 'json' }).$type<Record<string, string>>(),
    /** The last payload as it came, unknown fields included (JSON text, capped). */
    alertPayload: text('alert_payload'),
    alertFirstSeenAt: integer('alert_first_seen_at', { mode: 'timestamp_ms' }),
    alertLastSeenAt: integer('alert_last_seen_at', { mode: 'timestamp_ms' }),
    /** How many notifications the source sent for it (repeats and flaps land here). */
    alertNotices: integer('alert_notices').notNull().default(0),
    /** When every alert behind it was resolved at the source; cleared if one fires again. */
    alertResolvedAt: integer('alert_resolved_at', { mode: 'timestamp_ms' }),
    alertRuleId: text('alert_rule_id'),
    /** The component a rule set while the alert fires, the status it set and the one before. */
    alertComponentId: text('alert_component_id'),
    alertStatusSet: text('alert_status_set', { enum: componentStatuses }).$type<AlertRuleStatus>(),
    alertStatusBefore: text('alert_status_before', { enum: componentStatuses }),
    /**
     * Claimed by the request that declares a rule's incident, so concurrent notifications of one
     * group declare once; released when the declare fails, so the sender's retry declares.
     */
    alertDeclaringAt: integer('alert_declaring_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('reports_alert_key_idx').on(t.alertSource, t.alertKey),
    index('reports_state_idx').on(t.state, t.createdAt),
    index('reports_status_token_hash_idx').on(t.statusTokenHash),
    index('reports_reporter_email_idx').on(t.reporterEmail, t.createdAt),
  ],
);
