import { z } from 'zod';
import type { ReceivedAlert, ReceivedAlerts } from '../domain/alerts/inputs.ts';
import {
  clip,
  fitLabels,
  parsePayload,
  present,
  safeLink,
  sourceTime,
  stringMap,
} from './payload.ts';

const status = z.enum(['firing', 'resolved'], { error: 'must be firing or resolved' });

/** One alert as Alertmanager's (and Grafana's) webhook sends it. */
export const groupedAlert = z.object({
  status,
  labels: stringMap,
  annotations: stringMap,
  startsAt: sourceTime,
  endsAt: sourceTime,
  generatorURL: z.string(),
  fingerprint: z.string().min(1, 'is required'),
});

/** The fields both Alertmanager's payload (version 4) and Grafana's share. */
export const groupedPayload = {
  receiver: z.string(),
  status,
  alerts: z
    .array(groupedAlert)
    .min(1, 'must list at least one alert')
    .max(1000, 'must list at most 1,000 alerts (set max_alerts)'),
  groupLabels: stringMap,
  commonLabels: stringMap,
  commonAnnotations: stringMap,
  externalURL: z.string(),
  groupKey: z.string().min(1, 'is required'),
  truncatedAlerts: z.number().int().min(0).optional(),
};

/** Alertmanager's webhook payload, version 4 (webhook_config). */
export const alertmanagerPayload = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  ...groupedPayload,
});

/** One listed alert; `at` is its place in the payload's `alerts`, naming what was cut. */
export function toReceivedAlert(
  a: z.output<typeof groupedAlert>,
  link: string | null,
  at: number,
  cut: string[],
): ReceivedAlert {
  const title =
    present(a.labels.alertname) ?? present(a.annotations.summary) ?? `Alert ${a.fingerprint}`;
  return {
    key: clip(a.fingerprint, 500),
    status: a.status,
    title: clip(title, 500),
    description: present(a.annotations.description ?? a.annotations.summary)
      ? clip((a.annotations.description ?? a.annotations.summary)!, 5000)
      : null,
    labels: fitLabels(a.labels, `alerts.${at}.labels`, cut),
    annotations: fitLabels(a.annotations, `alerts.${at}.annotations`, cut),
    link: safeLink(link),
    startsAt: a.startsAt,
    endsAt: a.endsAt,
  };
}

/** "HighErrorRate: 5xx above 5 % (3 alerts)": the group's name as triage reads it. */
export function groupTitle(
  p: { commonLabels: Record<string, string>; commonAnnotations: Record<string, string> },
  alerts: ReceivedAlert[],
  truncated = 0,
): string {
  const name = present(p.commonLabels.alertname) ?? alerts[0]!.title;
  const summary = present(p.commonAnnotations.summary);
  const count = alerts.length + truncated;
  return clip(
    `${name}${summary ? `: ${summary}` : ''}${count > 1 ? ` (${count} alerts)` : ''}`,
    500,
  );
}

/**
 * An Alertmanager-shaped notification (Alertmanager's own or Grafana's) as one alert group:
 * its key, its name as triage reads it, its common labels and the link to its source.
 */
export function receivedGroup(
  source: 'alertmanager' | 'grafana',
  p: z.output<z.ZodObject<Omit<typeof groupedPayload, 'alerts'>>>,
  alerts: ReceivedAlert[],
  cut: string[],
  raw: string,
): ReceivedAlerts {
  return {
    source,
    groupKey: clip(p.groupKey, 2000),
    groupTitle: groupTitle(p, alerts, p.truncatedAlerts ?? 0),
    groupStatus: p.status,
    commonLabels: fitLabels(p.commonLabels, 'commonLabels', cut),
    link: safeLink(p.externalURL),
    alerts,
    cut,
    raw,
  };
}

export function parseAlertmanager(body: unknown, raw: string): ReceivedAlerts {
  const p = parsePayload(alertmanagerPayload, body);
  const cut: string[] = [];
  const alerts = p.alerts.map((a, i) => toReceivedAlert(a, a.generatorURL, i, cut));
  return receivedGroup('alertmanager', p, alerts, cut, raw);
}
