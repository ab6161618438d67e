import { z } from 'zod';
import { alertRuleStatuses, alertSources } from '../../../db/schema/index.ts';
import { idInput } from '../shared/inputs.ts';
import { priorityInput } from '../incidents/inputs.ts';

/** What one alert's labels or annotations may hold; the intake adapters cut a payload to fit. */
export const labelLimits = { entries: 200, name: 200, value: 10_000 } as const;

/**
 * Labels and annotations: names and values are text. Sources differ on what a name may hold
 * (Prometheus is strict, Grafana and Datadog tags are not), so only sizes are limited.
 */
export const labelsInput = z
  .record(
    z.string().min(1, 'has an empty name').max(labelLimits.name, 'has a name over 200 characters'),
    z.string().max(labelLimits.value, 'has a value over 10,000 characters'),
  )
  .refine((r) => Object.keys(r).length <= labelLimits.entries, 'must have at most 200 entries');

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

/** One alert as every intake adapter hands it over, whatever its source's payload looked like. */
export const receivedAlertInput = z.strictObject({
  /** The source's dedup key for this alert: a fingerprint, an alert id, a PagerDuty incident. */
  key: z.string().min(1, 'is required').max(500, 'must be at most 500 characters'),
  status: z.enum(['firing', 'resolved']),
  title: text(500).min(1, 'is required'),
  description: text(5000).nullable(),
  labels: labelsInput,
  annotations: labelsInput,
  link: text(2000).nullable(),
  startsAt: z.date().nullable(),
  endsAt: z.date().nullable(),
});
export type ReceivedAlert = z.output<typeof receivedAlertInput>;

/**
 * One notification from a monitoring system: its alerts, and the group they form when the
 * source groups them (Alertmanager's and Grafana's `groupKey`). Without a group, each alert is
 * its own report.
 */
export const receivedAlertsInput = z.strictObject({
  source: z.enum(alertSources),
  groupKey: text(2000).min(1).nullable(),
  /**
   * The source's own word on the whole group, when it gives one (Alertmanager's and Grafana's
   * top-level `status`): it counts every alert of the group, including those cut from the list
   * by `max_alerts` (`truncatedAlerts`), so a group it says fires is firing whatever it listed.
   */
  groupStatus: z.enum(['firing', 'resolved']).nullable(),
  /** A group's title and the labels every alert in it shares (routing reads these). */
  groupTitle: text(500).nullable(),
  commonLabels: labelsInput,
  link: text(2000).nullable(),
  alerts: z.array(receivedAlertInput).min(1, 'has no alerts').max(1000, 'at most 1,000 alerts'),
  /**
   * The payload's fields the adapter cut to fit (`alerts.0.annotations.description`), named as
   * the source named them; the report says so, and the raw payload has them as sent.
   */
  cut: z.array(z.string().max(1000)),
  /** The payload as it came (unknown fields included), shown on the report. */
  raw: z.string(),
});
export type ReceivedAlerts = z.input<typeof receivedAlertsInput>;

/** Placeholders a rule's incident templates may use. */
export const templatePlaceholders = ['alert', 'component'] as const;

const template = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'is required')
    .max(max, `must be at most ${max} characters`)
    .refine(
      (s) =>
        [...s.matchAll(/\{([^{}]*)\}/g)].every((m) =>
          (templatePlaceholders as readonly string[]).includes(m[1]!),
        ),
      { message: 'may use only {alert} and {component}' },
    );

export const alertRuleFields = {
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  matchers: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/, 'is not a label name'),
      z.string().max(1000, 'must be at most 1,000 characters'),
    )
    .refine((r) => Object.keys(r).length <= 20, 'at most 20 matchers'),
  componentId: idInput.nullable(),
  priority: priorityInput,
  setStatus: z
    .enum(alertRuleStatuses, {
      error: 'must be degraded_performance, partial_outage or major_outage',
    })
    .nullable(),
  declare: z.boolean({ error: 'must be true or false' }),
  incidentTitle: template(200).nullable(),
  incidentBody: template(10_000).nullable(),
};

function checkRule(
  v: {
    componentId?: string | null;
    setStatus?: string | null;
    declare?: boolean;
  },
  ctx: z.RefinementCtx,
) {
  if (v.setStatus && !v.componentId)
    ctx.addIssue({
      code: 'custom',
      path: ['setStatus'],
      message: 'pick the component whose status it sets',
    });
}

export const createAlertRuleInput = z
  .strictObject({
    ...alertRuleFields,
    matchers: alertRuleFields.matchers.default({}),
    componentId: alertRuleFields.componentId.default(null),
    setStatus: alertRuleFields.setStatus.default(null),
    declare: alertRuleFields.declare.default(false),
    incidentTitle: alertRuleFields.incidentTitle.default(null),
    incidentBody: alertRuleFields.incidentBody.default(null),
    /** 1-based place in the order; the end when absent. */
    position: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
  })
  .superRefine(checkRule);
export type CreateAlertRuleInput = z.input<typeof createAlertRuleInput>;

export const updateAlertRuleInput = z
  .strictObject({
    ruleId: idInput,
    name: alertRuleFields.name.optional(),
    matchers: alertRuleFields.matchers.optional(),
    componentId: alertRuleFields.componentId.optional(),
    priority: alertRuleFields.priority.optional(),
    setStatus: alertRuleFields.setStatus.optional(),
    declare: alertRuleFields.declare.optional(),
    incidentTitle: alertRuleFields.incidentTitle.optional(),
    incidentBody: alertRuleFields.incidentBody.optional(),
    position: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
  })
  .superRefine(checkRule);
export type UpdateAlertRuleInput = z.input<typeof updateAlertRuleInput>;

export const deleteAlertRuleInput = z.strictObject({ ruleId: idInput });
