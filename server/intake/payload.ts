import { z } from 'zod';
import { labelLimits } from '../domain/alerts/inputs.ts';
import { PayloadError } from '../domain/shared/errors.ts';

/**
 * Parses a monitoring system's payload with its adapter's schema. Known fields are checked
 * strictly (types, enums, no coercion); unknown ones are let through, since sources add fields
 * over time and the raw payload (kept on the report) shows them. A problem is a 400 naming the
 * field by its path in the payload (`alerts.0.fingerprint`).
 */
export function parsePayload<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const issue of r.error.issues) fields[issue.path.join('.') || '(body)'] ??= issue.message;
  const summary = Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
  throw new PayloadError(`The payload is not what this endpoint takes. ${summary}`, fields);
}

/** A map of text to text (labels, annotations). */
export const stringMap = z.record(z.string(), z.string({ error: 'must be text' }));

/**
 * An RFC 3339 time as Go writes it (nanoseconds allowed). Go's zero time, which Alertmanager
 * and Grafana send as the `endsAt` of a firing alert, means "none".
 */
export const sourceTime = z.string({ error: 'must be an RFC 3339 time' }).transform((s, ctx) => {
  if (s.startsWith('0001-01-01')) return null;
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s);
  const d = new Date(s);
  if (!ok || Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 time' });
    return z.NEVER;
  }
  return d;
});

/** Text cut to a size the report keeps (the whole payload stays in the raw copy). */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Labels or annotations cut to what a report keeps: an over-long value or name is clipped, an
 * empty name and the entries past the limit are dropped. A source's alert is never refused for
 * its text (Alertmanager and Grafana do not retry a 4xx: the alert would be lost); `cut` collects
 * the payload's fields that lost something, so the report can say so.
 */
export function fitLabels(
  map: Record<string, string>,
  path: string,
  cut: string[],
  room: number = labelLimits.entries,
): Record<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(map)) {
    const field = (path ? `${path}.${name}` : name).slice(0, 1000);
    const fitName = clip(name, labelLimits.name);
    const fitValue = clip(value, labelLimits.value);
    if (name === '' || out.size >= room || out.has(fitName)) {
      cut.push(field);
      continue;
    }
    if (fitName !== name || fitValue !== value) cut.push(field);
    out.set(fitName, fitValue);
  }
  return Object.fromEntries(out);
}

/** An empty string (a template variable the source left blank) counts as absent. */
export function present(s: string | null | undefined): string | null {
  return s && s.trim() !== '' ? s : null;
}

/**
 * A link from a payload, kept only when it is an http(s) URL: triage opens these links, and a
 * `javascript:` one must never become a clickable link on an admin page.
 */
export function safeLink(s: string | null | undefined): string | null {
  const v = present(s);
  if (!v || v.length > 2000) return null;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? v : null;
  } catch {
    return null;
  }
}
