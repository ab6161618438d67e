import { and, desc, eq, inArray, isNotNull, isNull, ne, notInArray, or } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  type AlertSource,
  type ComponentStatus,
  alertRules,
  components,
  incidentComponents,
  incidents,
  reportAlerts,
  reportEvents,
  reports,
} from '../../../db/schema/index.ts';
import { enqueueMessageToEach } from '../outbox/enqueue-message.ts';
import { applyComponentStatus } from '../components/apply-component-status.ts';
import { declareFromReport } from '../reports/decide-report.ts';
import { adminReportUrl } from '../reports/report-tokens.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ForbiddenError } from '../shared/errors.ts';
import { newId, newSecret } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { oneLine } from '../shared/inputs.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { hashToken } from '../subscribers/tokens.ts';
import { readKeeperAddresses } from '../users/on-duty.ts';
import { type ReceivedAlert, type ReceivedAlerts, receivedAlertsInput } from './inputs.ts';
import {
  DEFAULT_INCIDENT_BODY,
  DEFAULT_INCIDENT_TITLE,
  fillTemplate,
  groupStatus,
  matchRule,
  routingLabels,
  UNROUTED_PRIORITY,
} from './routing.ts';

/** The raw payload kept on a report; a larger one is cut (the parsed alerts are all kept). */
export const MAX_KEPT_PAYLOAD = 256 * 1024;

export type AlertOutcome =
  /** A new triage report. */
  | 'filed'
  /** A repeat notification for a report that already exists: nothing new filed. */
  | 'updated'
  /** Every alert behind the report is resolved at the source. */
  | 'resolved'
  /** An alert fired again after its report had been resolved at the source. */
  | 'refired'
  /**
   * Nothing to do: a resolved alert Herald never saw firing, or a late copy of an earlier
   * episode of an alert that has fired again since.
   */
  | 'ignored';

export interface ReceivedReport {
  reportId: string | null;
  key: string;
  outcome: AlertOutcome;
  priority: number | null;
  incidentId: string | null;
}

type RuleRow = typeof alertRules.$inferSelect;
type ReportRow = typeof reports.$inferSelect;

interface Group {
  key: string;
  /** What the source says of the whole group, when it says (see receivedAlertsInput). */
  said: 'firing' | 'resolved' | null;
  title: string;
  link: string | null;
  common: Record<string, string>;
  alerts: ReceivedAlert[];
  /** The payload's fields cut to fit (the whole notification's: it is one report's text). */
  cut: string[];
}

const sourceNames: Record<AlertSource, string> = {
  alertmanager: 'Alertmanager',
  grafana: 'Grafana',
  datadog: 'Datadog',
  pagerduty: 'PagerDuty',
  generic: 'Monitoring',
};

/**
 * Alerts from a monitoring system become triage reports: one per group (Alertmanager's
 * groupKey) or per alert key, so repeats and flaps update one report instead of filing many. A
 * new report is routed by the first matching rule (else P2); a resolved one is marked "resolved
 * at the source", restores a component status its rule set and tells the owner of an incident
 * that came from it. An incident is declared only by a rule that says so, and never resolved.
 */
export async function receiveAlerts(
  deps: DomainDeps,
  raw: ReceivedAlerts,
  actor: Actor,
): Promise<ReceivedReport[]> {
  if (actor.role !== 'intake' && actor.role !== 'system')
    throw new ForbiddenError('Alerts are posted with an intake token.');
  const input = parseInput(receivedAlertsInput, raw);
  const now = deps.clock.now();
  const payload =
    input.raw.length > MAX_KEPT_PAYLOAD
      ? `${input.raw.slice(0, MAX_KEPT_PAYLOAD)}\n… (cut at ${MAX_KEPT_PAYLOAD / 1024} KB)`
      : input.raw;
  const out: ReceivedReport[] = [];
  for (const group of groupsOf(input)) {
    const done = await deps.db.transaction((tx) =>
      applyGroup(tx, deps, actor, input.source, group, payload, now),
    );
    let incidentId = done.incidentId;
    if (done.declare) {
      let declared = false;
      try {
        incidentId = await declareFromRule(deps, done.declare, () => (declared = true));
      } catch (err) {
        // No incident yet: release the claim, so the sender's retry (a 5xx is retried)
        // declares. Once the incident stands the claim stays: never a second incident; the
        // report waits in triage for a person, timeboxed like any other.
        if (!declared)
          await deps.db
            .update(reports)
            .set({ alertDeclaringAt: null })
            .where(and(eq(reports.id, done.declare.reportId), eq(reports.state, 'open')));
        throw err;
      }
    }
    out.push({
      reportId: done.reportId,
      key: group.key,
      outcome: done.outcome,
      priority: done.priority,
      incidentId,
    });
  }
  return out;
}

function groupsOf(input: ReturnType<typeof receivedAlertsInput.parse>): Group[] {
  if (input.groupKey) {
    // One notification may list an alert twice; the last word on each key stands.
    const byKey = new Map(input.alerts.map((a) => [a.key, a]));
    const alerts = [...byKey.values()];
    return [
      {
        key: input.groupKey,
        said: input.groupStatus,
        title: input.groupTitle ?? alerts[0]!.title,
        link: input.link ?? alerts.find((a) => a.link)?.link ?? null,
        common: routingLabels(input.commonLabels, alerts),
        alerts,
        cut: input.cut,
      },
    ];
  }
  const byKey = new Map<string, Group>();
  for (const a of input.alerts)
    byKey.set(a.key, {
      key: a.key,
      said: null,
      title: a.title,
      link: a.link,
      common: a.labels,
      alerts: [a],
      cut: input.cut,
    });
  return [...byKey.values()];
}

interface Declare {
  reportId: string;
  rule: RuleRow;
  alertTitle: string;
  component: { id: string; name: string } | null;
  adminUrl: string;
  labels: Record<string, string>;
}

interface Applied {
  reportId: string | null;
  outcome: AlertOutcome;
  priority: number | null;
  incidentId: string | null;
  declare: Declare | null;
}

async function applyGroup(
  tx: DbOrTx,
  deps: DomainDeps,
  actor: Actor,
  source: AlertSource,
  group: Group,
  payload: string,
  now: Date,
): Promise<Applied> {
  const [latest] = await tx
    .select({ report: reports, incidentStatus: incidents.status })
    .from(reports)
    .leftJoin(incidents, eq(incidents.id, reports.incidentId))
    .where(and(eq(reports.alertSource, source), eq(reports.alertKey, group.key)))
    .orderBy(desc(reports.createdAt))
    .limit(1);
  const current =
    (latest && !isHistory(latest.report, latest.incidentStatus) ? latest.report : null) ??
    (await reportListingAlerts(tx, source, group.alerts));
  if (!current) {
    if (statusOf(group, group.alerts) === 'resolved')
      return {
        reportId: null,
        outcome: 'ignored',
        priority: null,
        incidentId: null,
        declare: null,
      };
    return fileAlertReport(tx, deps, actor, source, group, payload, now);
  }

  const stored = await tx.select().from(reportAlerts).where(eq(reportAlerts.reportId, current.id));
  const byKey = new Map(stored.map((a) => [a.fingerprint, a]));
  const fresh = group.alerts.filter((a) => !isStale(a, byKey.get(a.key)));
  if (fresh.length === 0)
    return {
      reportId: current.id,
      outcome: 'ignored',
      priority: current.priority,
      incidentId: current.incidentId,
      declare: null,
    };
  await upsertAlerts(tx, current.id, fresh, now);
  const listed = await tx.select().from(reportAlerts).where(eq(reportAlerts.reportId, current.id));
  // A stale copy stood for an alert Herald holds as firing: it keeps a firing report firing
  // (the source's "resolved" on the copy spoke of the earlier episode too).
  const keptFiring = fresh.length < group.alerts.length && !current.alertResolvedAt;
  const status = keptFiring ? 'firing' : statusOf(group, fresh);
  const change: Partial<ReportRow> = {
    alertLastSeenAt: now,
    alertNotices: current.alertNotices + 1,
    alertPayload: payload,
    whatHappened: summarise(group.title, listed, group.cut),
    updatedAt: now,
  };
  let outcome: AlertOutcome = 'updated';
  if (status === 'resolved' && !current.alertResolvedAt) {
    outcome = 'resolved';
    change.alertResolvedAt = now;
    Object.assign(change, await restoreComponent(tx, actor, current, now));
    await addEvent(tx, current.id, 'alert_resolved', 'Resolved at the source.', current, now);
    await tellIncidentOwner(tx, deps, current, now);
    await recordAudit(tx, actor, now, {
      action: 'report.alert_resolved',
      objectType: 'report',
      objectId: current.id,
    });
  } else if (status === 'firing' && current.alertResolvedAt) {
    outcome = 'refired';
    change.alertResolvedAt = null;
    const rule = current.alertRuleId ? await readRule(tx, current.alertRuleId) : null;
    if (rule && !rule.declare && rule.setStatus && rule.componentId)
      Object.assign(change, await setRuleStatus(tx, actor, rule.componentId, rule.setStatus, now));
    await addEvent(tx, current.id, 'alert_fired', 'Fired again at the source.', current, now);
  }
  const declare = status === 'firing' ? await claimPendingDeclare(tx, deps, current, group) : null;
  if (declare) change.alertDeclaringAt = now;
  await tx.update(reports).set(change).where(eq(reports.id, current.id));
  return {
    reportId: current.id,
    outcome,
    priority: current.priority,
    incidentId: current.incidentId,
    declare,
  };
}

/**
 * A report whose alerts all resolved at the source and whose story is over (closed, or its
 * incident resolved) is history: the next firing is a new problem, filed (and declared, if its
 * rule says so) as a new report, so it lands in triage or on the page instead of on a report
 * nobody looks at any more.
 */
function isHistory(
  report: Pick<ReportRow, 'state' | 'alertResolvedAt'>,
  incidentStatus: string | null,
): boolean {
  if (!report.alertResolvedAt) return false;
  if (report.state === 'closed') return true;
  return (
    (report.state === 'declared' || report.state === 'merged') && incidentStatus === 'resolved'
  );
}

/** The SQL twin of isHistory, negated: a report an alert's notification may still land on. */
const notHistory = or(
  isNull(reports.alertResolvedAt),
  and(
    ne(reports.state, 'closed'),
    or(
      notInArray(reports.state, ['declared', 'merged']),
      isNull(incidents.status),
      ne(incidents.status, 'resolved'),
    ),
  ),
);

/**
 * A late copy of an earlier episode of an alert Herald holds as firing: a resolve that ended
 * before the held firing began, or a firing that began before it. Two Alertmanagers in HA each
 * send their copy, and a late one must not resolve (or rewind) the outage that began since.
 */
function isStale(
  a: ReceivedAlert,
  held: { status: string; startsAt: Date | null } | undefined,
): boolean {
  if (!held || held.status !== 'firing' || !held.startsAt) return false;
  const at = a.status === 'resolved' ? a.endsAt : a.startsAt;
  return at !== null && at.getTime() < held.startsAt.getTime();
}

/**
 * What the source says now decides: its word on the whole group when it gives one, else the
 * alerts it lists (a notification lists every alert still active and those just resolved; one
 * it no longer lists, silenced say, does not keep the group firing). Firing wins a disagreement:
 * a report wrongly kept firing waits in triage, one wrongly resolved hides an outage.
 */
function statusOf(group: Group, alerts: ReceivedAlert[]): 'firing' | 'resolved' {
  return group.said === 'firing' ? 'firing' : groupStatus(alerts);
}

/**
 * A live report already listing one of these alerts (by fingerprint), filed under another key:
 * the same alert sent by two routes, or regrouped after Alertmanager's group_by changed. It
 * takes the notification, so an alert is on one report however it is grouped.
 */
async function reportListingAlerts(
  tx: DbOrTx,
  source: AlertSource,
  alerts: ReceivedAlert[],
): Promise<ReportRow | null> {
  const keys = alerts.map((a) => a.key);
  if (keys.length === 0) return null;
  const [found] = await tx
    .select({ report: reports })
    .from(reportAlerts)
    .innerJoin(reports, eq(reports.id, reportAlerts.reportId))
    .leftJoin(incidents, eq(incidents.id, reports.incidentId))
    .where(
      and(
        eq(reports.alertSource, source),
        inArray(reportAlerts.fingerprint, keys.slice(0, 500)),
        notHistory,
      ),
    )
    .orderBy(desc(reports.createdAt))
    .limit(1);
  return found?.report ?? null;
}

async function fileAlertReport(
  tx: DbOrTx,
  deps: DomainDeps,
  actor: Actor,
  source: AlertSource,
  group: Group,
  payload: string,
  now: Date,
): Promise<Applied> {
  const rules = await tx.select().from(alertRules);
  const rule = matchRule(rules, group.common);
  const component = await findComponent(tx, rule?.componentId ?? group.common.component ?? null);
  const priority = rule?.priority ?? UNROUTED_PRIORITY;
  const id = newId();
  const reporter = `${sourceNames[source]} via ${actor.label}`;
  const starts = group.alerts
    .map((a) => a.startsAt)
    .filter((d): d is Date => d !== null)
    .sort((a, b) => a.getTime() - b.getTime());
  const statusChange =
    rule && !rule.declare && rule.setStatus && component
      ? await setRuleStatus(tx, actor, component.id, rule.setStatus, now)
      : {};
  const row = {
    id,
    kind: 'bug' as const,
    state: 'open' as const,
    reporterEmail: reporter,
    reporterUserId: null,
    whatHappened: summarise(group.title, group.alerts, group.cut),
    expected: 'No alert firing.',
    reproduce: group.link ?? 'See the alert at its source.',
    affected: component ? component.name : 'Not known yet: no routing rule named a component.',
    startedWhen: (starts[0] ?? now).toISOString(),
    componentIds: component ? [component.id] : null,
    reportedPriority: priority,
    priority,
    // Nobody holds a status link for an alert's report: the hash of a secret thrown away.
    statusTokenHash: hashToken(newSecret()),
    alertSource: source,
    alertKey: group.key,
    alertLink: group.link,
    alertLabels: group.common,
    alertPayload: payload,
    alertFirstSeenAt: now,
    alertLastSeenAt: now,
    alertNotices: 1,
    alertRuleId: rule?.id ?? null,
    alertDeclaringAt: rule?.declare ? now : null,
    createdAt: now,
    updatedAt: now,
    ...statusChange,
  };
  await tx.insert(reports).values(row);
  await upsertAlerts(tx, id, group.alerts, now);
  await tx.insert(reportEvents).values({
    id: newId(),
    reportId: id,
    action: 'filed',
    priority,
    reason: rule
      ? `Routed by the rule "${rule.name}" to P${priority}.`
      : `No routing rule matched: P${priority}.`,
    actorLabel: reporter,
    at: now,
  });
  const { statusTokenHash: _h, alertPayload: _p, ...audited } = row;
  await recordAudit(tx, actor, now, {
    action: 'report.file',
    objectType: 'report',
    objectId: id,
    after: audited,
  });
  return {
    reportId: id,
    outcome: 'filed',
    priority,
    incidentId: null,
    declare: rule?.declare ? declareOf(deps, id, rule, group, component) : null,
  };
}

function declareOf(
  deps: DomainDeps,
  reportId: string,
  rule: RuleRow,
  group: Group,
  component: { id: string; name: string } | null,
): Declare {
  return {
    reportId,
    rule,
    alertTitle: group.title,
    component,
    adminUrl: adminReportUrl(deps.config.publicUrl.replace(/\/+$/, ''), reportId),
    labels: group.common,
  };
}

/**
 * A declare its rule asked for that has not happened (the first attempt failed before the
 * incident and released its claim), while nobody has decided the report. A claim left by a
 * process that died mid-declare is never taken again: a person declares from the report then.
 */
async function claimPendingDeclare(
  tx: DbOrTx,
  deps: DomainDeps,
  report: ReportRow,
  group: Group,
): Promise<Declare | null> {
  if (report.state !== 'open' || report.incidentId || !report.alertRuleId) return null;
  if (report.alertDeclaringAt) return null;

  const rule = await readRule(tx, report.alertRuleId);
  if (!rule?.declare) return null;
  const component = await findComponent(tx, rule.componentId);
  return declareOf(deps, report.id, rule, group, component);
}

/**
 * A rule that says so declares the incident at its priority, with its templated first update.
 * Declared through the same verb as a PM's "declare" on the report, acting as the rule.
 */
async function declareFromRule(
  deps: DomainDeps,
  d: Declare,
  onDeclared: () => void,
): Promise<string> {
  const ruleActor: Actor = {
    type: 'system',
    id: null,
    label: `alert rule "${d.rule.name}"`,
    role: 'system',
  };
  const values = { alert: d.alertTitle, component: d.component?.name ?? 'our service' };
  const componentStatus: ComponentStatus =
    d.rule.setStatus ?? (d.rule.priority <= 1 ? 'major_outage' : 'partial_outage');
  const labels = Object.entries(d.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const { incidentId } = await declareFromReport(
    deps,
    {
      reportId: d.reportId,
      incident: {
        // An alert's title may span lines; an incident's title is one line.
        title: oneLine(fillTemplate(d.rule.incidentTitle ?? DEFAULT_INCIDENT_TITLE, values))
          .trim()
          .slice(0, 200),
        priority: d.rule.priority,
        body: fillTemplate(d.rule.incidentBody ?? DEFAULT_INCIDENT_BODY, values).slice(0, 10_000),
        internalNote: `Declared by the alert rule "${d.rule.name}" from ${d.adminUrl}.\nAlert: ${d.alertTitle}\nLabels: ${labels}`,
        components: d.component ? [{ componentId: d.component.id, status: componentStatus }] : [],
      },
      reason: `The alert rule "${d.rule.name}" declares P${d.rule.priority}.`,
    },
    ruleActor,
    onDeclared,
  );
  return incidentId;
}

async function upsertAlerts(tx: DbOrTx, reportId: string, alerts: ReceivedAlert[], now: Date) {
  for (const a of alerts) {
    const values = {
      status: a.status,
      title: a.title,
      labels: a.labels,
      annotations: a.description
        ? { ...a.annotations, description: a.annotations.description ?? a.description }
        : a.annotations,
      link: a.link,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      lastSeenAt: now,
    };
    await tx
      .insert(reportAlerts)
      .values({ reportId, fingerprint: a.key, firstSeenAt: now, ...values })
      .onConflictDoUpdate({
        target: [reportAlerts.reportId, reportAlerts.fingerprint],
        set: values,
      });
  }
}

/**
 * The report's "what happened": the group's title, what the intake cut from the latest
 * notification (before the alerts, so the 5,000-character cut keeps it), then one line per alert.
 */
function summarise(
  title: string,
  alerts: { status: string; title: string; annotations?: Record<string, string> }[],
  cut: string[],
): string {
  const lines = alerts.map((a) => {
    const detail = a.annotations?.summary ?? a.annotations?.description ?? '';
    return `- [${a.status}] ${a.title}${detail && detail !== a.title ? `: ${detail}` : ''}`;
  });
  const named = cut.slice(0, 5).join(', ') + (cut.length > 5 ? ` and ${cut.length - 5} more` : '');
  const note = cut.length
    ? ['', `Cut to fit (too long or too many): ${named}. The raw payload has them as sent.`]
    : [];
  const text = [title, ...note, '', ...lines].join('\n');
  return text.length > 5000 ? `${text.slice(0, 4990)}\n…` : text;
}

async function findComponent(tx: DbOrTx, idOrName: string | null) {
  if (!idOrName) return null;
  const all = await tx
    .select({ id: components.id, name: components.name, isGroup: components.isGroup })
    .from(components);
  const wanted = idOrName.trim().toLowerCase();
  const found =
    all.find((c) => c.id === idOrName) ?? all.find((c) => c.name.trim().toLowerCase() === wanted);
  return found && !found.isGroup ? { id: found.id, name: found.name } : null;
}

async function readRule(tx: DbOrTx, id: string) {
  const [rule] = await tx.select().from(alertRules).where(eq(alertRules.id, id));
  return rule ?? null;
}

const severity: Record<ComponentStatus, number> = {
  operational: 0,
  degraded_performance: 1,
  partial_outage: 2,
  major_outage: 3,
  // Work under way already explains alerts: a rule leaves a component in maintenance alone.
  under_maintenance: 4,
};

/** Sets the rule's status when it is worse than the component's; remembers what to restore. */
async function setRuleStatus(
  tx: DbOrTx,
  actor: Actor,
  componentId: string,
  status: NonNullable<RuleRow['setStatus']>,
  now: Date,
): Promise<Partial<ReportRow>> {
  const [c] = await tx.select().from(components).where(eq(components.id, componentId));
  if (!c || c.isGroup || severity[c.status] >= severity[status]) return {};
  const before = await applyComponentStatus(tx, componentId, status, now);
  await componentChanged(tx, actor, componentId, before, status, now);
  return { alertComponentId: componentId, alertStatusSet: status, alertStatusBefore: before };
}

/**
 * A component status an alert changed is public: audited as the intake token, and the change
 * counter bumped (which purges the edge). Report-only writes bump nothing: reports are never
 * public, and an alert storm must not empty the page caches while customers refresh them.
 */
async function componentChanged(
  tx: DbOrTx,
  actor: Actor,
  componentId: string,
  before: ComponentStatus,
  after: ComponentStatus,
  now: Date,
) {
  await recordAudit(tx, actor, now, {
    action: 'component.set_status',
    objectType: 'component',
    objectId: componentId,
    before: { status: before },
    after: { status: after },
  });
  await bumpChanges(tx, now);
}

/**
 * Puts back the status a rule set, unless someone changed it since or an open incident holds
 * the component (the incident's updates own its status then).
 */
async function restoreComponent(
  tx: DbOrTx,
  actor: Actor,
  report: ReportRow,
  now: Date,
): Promise<Partial<ReportRow>> {
  if (!report.alertComponentId || !report.alertStatusSet) return {};
  const cleared = { alertStatusSet: null, alertStatusBefore: null };
  const [c] = await tx.select().from(components).where(eq(components.id, report.alertComponentId));
  if (!c || c.status !== report.alertStatusSet) return cleared;
  const holding = await tx
    .select({ id: incidents.id })
    .from(incidentComponents)
    .innerJoin(incidents, eq(incidents.id, incidentComponents.incidentId))
    .where(
      and(
        eq(incidentComponents.componentId, c.id),
        ne(incidents.status, 'resolved'),
        isNotNull(incidents.publishedAt),
      ),
    )
    .limit(1);
  if (holding.length > 0) return cleared;
  const back = report.alertStatusBefore ?? 'operational';
  await applyComponentStatus(tx, c.id, back, now);
  await componentChanged(tx, actor, c.id, c.status, back, now);
  return cleared;
}

/** An incident that came from the report hears its alert resolved; Herald never resolves it. */
async function tellIncidentOwner(tx: DbOrTx, deps: DomainDeps, report: ReportRow, now: Date) {
  if (!report.incidentId || !['declared', 'merged'].includes(report.state)) return;
  const [inc] = await tx
    .select({
      id: incidents.id,
      status: incidents.status,
      ownerId: incidents.ownerId,
      isDrill: incidents.isDrill,
    })
    .from(incidents)
    .where(eq(incidents.id, report.incidentId));
  if (!inc || inc.status === 'resolved') return;
  // An incident a rule declared has no owner yet: whoever is on duty hears it instead.
  await enqueueMessageToEach(
    tx,
    deps.config,
    {
      kind: 'report_alert',
      to: await readKeeperAddresses(tx, inc),
      payload: { reportId: report.id, alert: 'resolved_at_source' },
    },
    now,
  );
}

async function addEvent(
  tx: DbOrTx,
  reportId: string,
  action: 'alert_resolved' | 'alert_fired',
  reason: string,
  report: ReportRow,
  now: Date,
) {
  await tx.insert(reportEvents).values({
    id: newId(),
    reportId,
    action,
    priority: report.priority,
    reason,
    incidentId: report.incidentId,
    actorLabel: report.reporterEmail,
    at: now,
  });
}
