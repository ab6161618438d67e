import { z } from 'zod';
import { labelLimits, type ReceivedAlerts } from '../domain/alerts/inputs.ts';
import { clip, fitLabels, parsePayload, present, safeLink } from './payload.ts';

/** $ALERT_TRANSITION: what Datadog says happened to the monitor. */
const firing = [
  'Triggered',
  'Re-Triggered',
  'Warn',
  'Re-Warn',
  'No Data',
  'Re-No Data',
  'Renotify',
];
const resolved = ['Recovered'];

/**
 * A Datadog webhook's payload is a template its owner writes with Datadog's variables; Herald
 * takes the one in docs/integrations.md. Required: the monitor ($ALERT_ID), the transition
 * ($ALERT_TRANSITION) and a title ($ALERT_TITLE). Variables Datadog leaves blank arrive as "".
 */
export const datadogPayload = z.object({
  alert_id: z.string().min(1, 'is required: put "$ALERT_ID" in the payload'),
  transition: z.enum([...firing, ...resolved] as [string, ...string[]], {
    error: `must be one of ${[...firing, ...resolved].join(', ')} ("$ALERT_TRANSITION")`,
  }),
  title: z.string().min(1, 'is required: put "$ALERT_TITLE" in the payload'),
  body: z.string().optional(),
  scope: z.string().optional(),
  tags: z.string().optional(),
  priority: z.string().optional(),
  alert_type: z.string().optional(),
  link: z.string().optional(),
  date: z
    .string()
    .regex(/^(\d{1,15})?$/, 'must be epoch milliseconds ("$DATE")')
    .optional(),
  id: z.string().optional(),
  aggreg_key: z.string().optional(),
  hostname: z.string().optional(),
});

/** "env:prod, service:api, canary" → {env: "prod", service: "api", canary: ""}. */
function tagLabels(tags: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of (tags ?? '').split(',')) {
    const t = tag.trim();
    if (!t) continue;
    const at = t.indexOf(':');
    if (at === -1) out[t] = '';
    else out[t.slice(0, at)] = t.slice(at + 1);
  }
  return out;
}

export function parseDatadog(body: unknown, raw: string): ReceivedAlerts {
  const p = parsePayload(datadogPayload, body);
  const scope = present(p.scope);
  const cut: string[] = [];
  // Tags, then the scope, then Herald's own labels win; each is cut to the room the next left.
  const own = fitLabels(
    {
      monitor_id: p.alert_id,
      ...(present(p.priority) ? { priority: p.priority! } : {}),
      ...(present(p.alert_type) ? { alert_type: p.alert_type! } : {}),
      ...(present(p.hostname) ? { host: p.hostname! } : {}),
    },
    '',
    cut,
  );
  let room = labelLimits.entries - Object.keys(own).length;
  const fromScope = fitLabels(tagLabels(scope), 'scope', cut, room);
  room -= Object.keys(fromScope).length;
  const fromTags = fitLabels(tagLabels(present(p.tags)), 'tags', cut, room);
  const labels: Record<string, string> = { ...fromTags, ...fromScope, ...own };
  const link = safeLink(p.link);
  const at = present(p.date) ? new Date(Number(p.date)) : null;
  // One monitor alerts once per group of a multi alert: the scope tells them apart.
  const key = clip(scope ? `${p.alert_id} ${scope}` : p.alert_id, 500);
  return {
    source: 'datadog',
    groupKey: null,
    groupTitle: null,
    groupStatus: null,
    commonLabels: labels,
    link,
    alerts: [
      {
        key,
        status: resolved.includes(p.transition) ? 'resolved' : 'firing',
        title: clip(p.title, 500),
        description: present(p.body) ? clip(p.body!, 5000) : null,
        labels,
        annotations: present(p.body) ? { description: clip(p.body!, 5000) } : {},
        link,
        startsAt: at && !resolved.includes(p.transition) ? at : null,
        endsAt: at && resolved.includes(p.transition) ? at : null,
      },
    ],
    cut,
    raw,
  };
}
