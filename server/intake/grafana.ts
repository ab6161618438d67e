import { z } from 'zod';
import type { ReceivedAlerts } from '../domain/alerts/inputs.ts';
import { groupedAlert, groupedPayload, receivedGroup, toReceivedAlert } from './alertmanager.ts';
import { parsePayload, safeLink } from './payload.ts';

/**
 * Grafana alerting's webhook contact point: Alertmanager's shape (Grafana runs one inside) plus
 * its own fields; the links to the dashboard and panel lead further than the rule's editor.
 */
export const grafanaPayload = z.object({
  ...groupedPayload,
  alerts: z
    .array(
      groupedAlert.extend({
        dashboardURL: z.string().optional(),
        panelURL: z.string().optional(),
        silenceURL: z.string().optional(),
      }),
    )
    .min(1, 'must list at least one alert')
    .max(1000, 'must list at most 1,000 alerts'),
  orgId: z.number().int().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  version: z.string().optional(),
});

export function parseGrafana(body: unknown, raw: string): ReceivedAlerts {
  const p = parsePayload(grafanaPayload, body);
  const cut: string[] = [];
  const alerts = p.alerts.map((a, i) =>
    toReceivedAlert(a, safeLink(a.panelURL) ?? safeLink(a.dashboardURL) ?? a.generatorURL, i, cut),
  );
  return receivedGroup('grafana', p, alerts, cut, raw);
}
