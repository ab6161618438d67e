import { z } from 'zod';
import { labelLimits, type ReceivedAlerts } from '../domain/alerts/inputs.ts';
import { fitLabels, parsePayload, stringMap } from './payload.ts';

/**
 * Herald's own small alert, for scripts and tools with no webhook format of their own. `key`
 * deduplicates: the same key updates one report; `severity` and `component` become labels the
 * routing rules match (and `component` names a Herald component when no rule does).
 */
export const genericPayload = z.object({
  key: z.string().min(1, 'is required').max(500, 'must be at most 500 characters'),
  status: z.enum(['firing', 'resolved'], { error: 'must be firing or resolved' }),
  title: z.string().trim().min(1, 'is required').max(500, 'must be at most 500 characters'),
  description: z.string().max(5000, 'must be at most 5,000 characters').optional(),
  severity: z.string().min(1).max(100, 'must be at most 100 characters').optional(),
  component: z.string().min(1).max(200, 'must be at most 200 characters').optional(),
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2000)
    .optional(),
  labels: stringMap.optional(),
});

export function parseGeneric(body: unknown, raw: string): ReceivedAlerts {
  const p = parsePayload(genericPayload, body);
  const cut: string[] = [];
  const own = {
    ...(p.severity ? { severity: p.severity } : {}),
    ...(p.component ? { component: p.component } : {}),
  };
  const room = labelLimits.entries - Object.keys(own).length;
  const labels: Record<string, string> = {
    ...fitLabels(p.labels ?? {}, 'labels', cut, room),
    ...own,
  };
  return {
    source: 'generic',
    groupKey: null,
    groupTitle: null,
    groupStatus: null,
    commonLabels: labels,
    link: p.url ?? null,
    alerts: [
      {
        key: p.key,
        status: p.status,
        title: p.title,
        description: p.description ?? null,
        labels,
        annotations: p.description ? { description: p.description } : {},
        link: p.url ?? null,
        startsAt: null,
        endsAt: null,
      },
    ],
    cut,
    raw,
  };
}
