import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ReceivedAlerts } from '../domain/alerts/inputs.ts';
import { UnauthorizedError } from '../domain/shared/errors.ts';
import { clip, fitLabels, parsePayload, present, safeLink, sourceTime } from './payload.ts';

const reference = z.object({ summary: z.string().optional() }).nullish();

/** A PagerDuty v3 webhook: one event; incident events carry the incident under `data`. */
export const pagerdutyPayload = z.object({
  event: z.object({
    id: z.string().min(1, 'is required'),
    event_type: z.string().min(1, 'is required'),
    resource_type: z.string(),
    occurred_at: sourceTime,
    data: z.object({ type: z.string({ error: 'is required' }) }).loose(),
  }),
});

const pagerdutyIncident = z.object({
  id: z.string().min(1, 'is required'),
  type: z.literal('incident'),
  html_url: z.string().optional(),
  number: z.number().int().optional(),
  status: z.enum(['triggered', 'acknowledged', 'resolved'], {
    error: 'must be triggered, acknowledged or resolved',
  }),
  title: z.string().min(1, 'is required'),
  service: reference,
  priority: reference,
  urgency: z.string().nullish(),
});

/**
 * Checks X-PagerDuty-Signature: one or more `v1=<hex HMAC-SHA256 of the raw body>`, several
 * while PagerDuty rotates the secret; one match is enough. Compared in constant time.
 */
export function verifyPagerdutySignature(
  secret: string,
  body: Uint8Array,
  header: string | undefined,
) {
  const expected = createHmac('sha256', secret).update(body).digest();
  const ok = (header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .some((s) => {
      const given = Buffer.from(s.slice(3), 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  if (!ok)
    throw new UnauthorizedError(
      'The X-PagerDuty-Signature header does not match this body and PAGERDUTY_WEBHOOK_SECRET.',
    );
}

/**
 * Incident events become alerts keyed by the PagerDuty incident: triggered, acknowledged,
 * reopened and the rest fire (an update of the same report), resolved resolves. Other events
 * (notes, responders, status updates) change no alert state: null, and the caller says so.
 */
export function parsePagerduty(body: unknown, raw: string): ReceivedAlerts | null {
  const { event } = parsePayload(pagerdutyPayload, body);
  if (event.data.type !== 'incident') return null;
  const inc = parsePayload(z.object({ event: z.object({ data: pagerdutyIncident }) }), body).event
    .data;
  const cut: string[] = [];
  const labels = fitLabels(
    {
      ...(present(inc.service?.summary) ? { service: inc.service!.summary! } : {}),
      ...(present(inc.priority?.summary) ? { priority: inc.priority!.summary! } : {}),
      ...(present(inc.urgency) ? { urgency: inc.urgency! } : {}),
    },
    'event.data',
    cut,
  );
  const resolvedNow = inc.status === 'resolved' || event.event_type === 'incident.resolved';
  const link = safeLink(inc.html_url);
  return {
    source: 'pagerduty',
    groupKey: null,
    groupTitle: null,
    groupStatus: null,
    commonLabels: labels,
    link,
    alerts: [
      {
        key: clip(inc.id, 500),
        status: resolvedNow ? 'resolved' : 'firing',
        title: clip(inc.title, 500),
        description: null,
        labels,
        annotations: fitLabels({ event_type: event.event_type }, 'event', cut),
        link,
        startsAt: resolvedNow ? null : event.occurred_at,
        endsAt: resolvedNow ? event.occurred_at : null,
      },
    ],
    cut,
    raw,
  };
}
