import { z } from 'zod';
import type { ComponentStatus, IncidentStatus, MaintenanceStatus } from '../../db/schema/enums.ts';
import {
  defaultBodyByStatus,
  impactFromStatuses,
  priorityByImpact,
} from '../domain/incidents/statuspage-priority.ts';
import {
  importComponent,
  importIncident,
  importMaintenance,
} from '../domain/imports/import-records.ts';
import type { Actor } from '../domain/shared/actor.ts';
import type { DomainDeps } from '../domain/shared/deps.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { isIanaTimeZone } from '../domain/settings/update-settings.ts';
import {
  baseUrl,
  componentStatusOr,
  each,
  fit,
  getJson,
  importGroups,
  type ImportContext,
  type ImportReport,
  newReport,
  type Progress,
  SourceError,
  sourceTime,
  writeSubscribers,
} from './source.ts';

// Cachet 2 (/api/v1/..., `{data, meta.pagination}`, token in X-Cachet-Token) and Cachet 3
// (/api/..., JSON:API-style `{data: [{id, attributes}], links.next}`, a bearer token). Both are
// read into one flat shape first; statuses are Cachet's numbers.

type Row = Record<string, unknown> & { id: string };

/** Cachet 3's `{id, attributes: {status: {value}, created: {string}}}` as Cachet 2's flat row. */
function flatten(item: unknown): Row {
  if (!item || typeof item !== 'object')
    throw new SourceError('Cachet answered a row that is not an object.');
  const o = item as Record<string, unknown>;
  const attrs = (o.attributes as Record<string, unknown> | undefined) ?? o;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const w = v as Record<string, unknown>;
      out[k] = 'value' in w ? w.value : 'string' in w ? w.string : v;
    } else out[k] = v;
  }
  // Cachet 3 names times `created`/`updated`, Cachet 2 `created_at`/`updated_at`.
  out.created_at ??= out.created;
  out.occurred_at ??= out.occurred;
  out.id = String(o.id);
  return out as Row;
}

/** A Cachet time: written without an offset, in Cachet's app zone (`zone`, UTC by default). */
function cachetDate(v: unknown, zone: string): Date | null {
  if (typeof v !== 'string' || !v) return null;
  const d = sourceTime(v, zone);
  return Number.isNaN(d.getTime()) ? null : d;
}

const listBody = z.looseObject({
  data: z.array(z.unknown()),
  meta: z
    .looseObject({
      pagination: z
        .looseObject({ links: z.looseObject({ next_page: z.string().nullable().optional() }) })
        .optional(),
    })
    .optional(),
  links: z.looseObject({ next: z.string().nullable().optional() }).optional(),
});

const componentStatus: Record<number, ComponentStatus> = {
  1: 'operational',
  2: 'degraded_performance',
  3: 'partial_outage',
  4: 'major_outage',
};
const incidentStatus: Record<number, IncidentStatus> = {
  1: 'investigating',
  2: 'identified',
  3: 'monitoring',
  4: 'resolved',
};
const scheduleStatus: Record<number, MaintenanceStatus> = {
  0: 'scheduled',
  1: 'in_progress',
  2: 'completed',
};

/**
 * Who Cachet showed an incident to: Cachet 2's `visible` is 1 (everyone) or 0 (signed-in users);
 * Cachet 3's is 1 (guests), 0 (signed-in users) or 2 (hidden). A token signs the importer in,
 * and Cachet then lists them all. Absent: a list read without a token, which holds only public ones.
 */
function keptFromGuests(visible: unknown): string | null {
  if (visible === undefined || visible === null || Number(visible) === 1) return null;
  return Number(visible) === 2 ? 'hidden in Cachet' : 'shown only to signed-in users in Cachet';
}

export async function importCachet(
  deps: DomainDeps,
  options: { url: string; token?: string; timeZone?: string },
  actor: Actor,
  progress: Progress,
): Promise<ImportReport> {
  const url = baseUrl(options.url, 'url');
  // Cachet stores and answers times in its app's zone (APP_TIMEZONE) without saying which.
  const zone = options.timeZone ?? 'UTC';
  if (!isIanaTimeZone(zone))
    throw new ValidationError(
      `--time-zone must be an IANA time zone such as Europe/Berlin or UTC (Cachet's APP_TIMEZONE), not "${zone}".`,
      { 'time-zone': 'is not an IANA time zone' },
    );
  const timeOf = (v: unknown) => cachetDate(v, zone);
  // Cachet 2 answers /api/v1/ping; Cachet 3 serves its API under /api.
  let version: 2 | 3 = 2;
  try {
    await getJson(`${url}/api/v1/ping`, progress);
  } catch (err) {
    if (!(err instanceof SourceError) || !/answered 404/.test(err.message)) throw err;
    version = 3;
  }
  const api = version === 2 ? `${url}/api/v1` : `${url}/api`;
  const headers: Record<string, string> = options.token
    ? version === 2
      ? { 'x-cachet-token': options.token }
      : { authorization: `Bearer ${options.token}` }
    : {};

  /** Every row of a collection, following Cachet's next-page links. */
  const all = async (path: string): Promise<Row[]> => {
    const rows: Row[] = [];
    let next: string | null = `${api}${path}${path.includes('?') ? '&' : '?'}per_page=100`;
    for (let pages = 0; next && pages < 10_000; pages++) {
      const here: string = next;
      const r = listBody.safeParse(await getJson(here, progress, headers));
      if (!r.success) throw new SourceError(`${here} is not a Cachet ${version} list.`);
      rows.push(...r.data.data.map(flatten));
      next = r.data.meta?.pagination?.links.next_page ?? r.data.links?.next ?? null;
      if (next && !next.startsWith(url))
        throw new SourceError(`${here} points its next page elsewhere (${next}).`);
    }
    return rows;
  };

  const groups = await all(version === 2 ? '/components/groups' : '/component-groups');
  const components = await all('/components');
  const incidents = await all('/incidents');
  const updates = new Map<string, Row[]>();
  for (const i of incidents) updates.set(i.id, await all(`/incidents/${i.id}/updates`));
  const schedules = await all('/schedules').catch((err) => {
    if (err instanceof SourceError && /answered 404/.test(err.message)) return [];
    throw err;
  });
  const subscribers = options.token ? await all('/subscribers') : [];
  progress.note(
    `Read Cachet ${version}: ${components.length} components, ${incidents.length} incidents, ${schedules.length} schedules, ${subscribers.length} subscribers`,
  );

  const source = `cachet:${new URL(url).host}${new URL(url).pathname.replace(/\/$/, '')}`;
  const ctx: ImportContext = { deps, actor, progress, report: newReport(source) };
  const now = deps.clock.now();
  const ids = new Map<string, string>();
  const name = (r: Row, fallback: string) => String(r.name ?? '').trim() || fallback;

  await importGroups(
    ctx,
    groups,
    ids,
    (g) => `group "${name(g, g.id)}"`,
    (g) => ({
      name: fit(ctx, name(g, `Group ${g.id}`), 100, `group ${g.id}`),
      position: Number(g.order ?? 0) || 0,
      createdAt: timeOf(g.created_at) ?? now,
    }),
  );
  // Herald has no hidden components: one Cachet kept off its page stays out, and is named.
  const disabled = (c: Row) => c.enabled === false || c.enabled === 0 || c.enabled === '0';
  for (const c of components.filter(disabled))
    ctx.report.unmapped.push(
      `component "${name(c, c.id)}": disabled in Cachet (not on its page); not imported, and its incidents come over without it`,
    );
  await each(
    ctx,
    'components',
    components.filter((c) => !disabled(c)),
    (c) => `component "${name(c, c.id)}"`,
    async (c) => {
      const status = componentStatusOr(
        ctx,
        `component "${name(c, c.id)}"`,
        componentStatus[Number(c.status)],
        c.status,
      );
      const group = c.group_id ? ids.get(`group:${c.group_id}`) : undefined;
      const r = await importComponent(
        deps,
        {
          source,
          sourceId: `component:${c.id}`,
          name: fit(ctx, name(c, `Component ${c.id}`), 100, `component ${c.id}`),
          description:
            typeof c.description === 'string' && c.description.trim()
              ? fit(ctx, c.description.trim(), 500, `component ${c.id}`)
              : null,
          isGroup: false,
          groupId: group ?? null,
          status,
          position: Number(c.order ?? 0) || 0,
          createdAt: timeOf(c.created_at) ?? now,
        },
        actor,
      );
      ids.set(`component:${c.id}`, r.id);
      return r.created;
    },
  );

  await each(
    ctx,
    'incidents',
    incidents,
    (i) => `incident "${name(i, i.id)}"`,
    async (i) => {
      const status = incidentStatus[Number(i.status)];
      if (!status) {
        ctx.report.unmapped.push(
          `incident "${name(i, i.id)}": status ${String(i.status)} (Cachet's old scheduled incidents) not imported`,
        );
        return false;
      }
      const created = timeOf(i.occurred_at) ?? timeOf(i.created_at) ?? now;
      const title = name(i, `Incident ${i.id}`);
      const where = `incident "${title}"`;
      const sourceUpdates = updates.get(i.id) ?? [];
      // Cachet's incident status is where it stands now; its message was written when it
      // opened, before the updates that moved it on: investigating.
      const first = {
        status: sourceUpdates.length ? ('investigating' as const) : status,
        body: fit(
          ctx,
          String(i.message ?? '').trim() || defaultBodyByStatus[status],
          10_000,
          where,
        ),
        displayAt: created,
        createdAt: created,
      };
      const later = sourceUpdates
        .map((u) => {
          const s = incidentStatus[Number(u.status)] ?? status;
          const at = timeOf(u.created_at) ?? created;
          return {
            status: s,
            body: fit(ctx, String(u.message ?? '').trim() || defaultBodyByStatus[s], 10_000, where),
            displayAt: at,
            createdAt: at,
          };
        })
        .sort((a, b) => a.displayAt.getTime() - b.displayAt.getTime());
      const all = [first, ...later];
      // The incident's own status is Cachet's word on where it stands now.
      const final = status;
      const component = i.component_id ? ids.get(`component:${i.component_id}`) : undefined;
      const componentNow = component
        ? componentStatus[Number(components.find((c) => c.id === String(i.component_id))?.status)]
        : undefined;
      // Cachet has no impact: an open incident takes it from its component's status now.
      const impact =
        final !== 'resolved' && componentNow ? impactFromStatuses([componentNow]) : 'none';
      const kept = keptFromGuests(i.visible);
      const r = await importIncident(
        deps,
        {
          source,
          sourceId: `incident:${i.id}`,
          title: fit(ctx, title, 200, where),
          priority: priorityByImpact[impact],
          impact,
          status: final,
          createdAt: created,
          startedAt: created,
          resolvedAt: final === 'resolved' ? all.at(-1)!.displayAt : null,
          audienceOnly: kept !== null,
          components:
            component && componentNow ? [{ componentId: component, status: componentNow }] : [],
          updates: all,
        },
        actor,
      );
      if (kept && r.created) ctx.report.unmapped.push(`${where}: ${kept}; imported for staff only`);
      return r.created;
    },
  );

  await each(
    ctx,
    'maintenances',
    schedules,
    (m) => `schedule "${name(m, m.id)}"`,
    async (m) => {
      const status = scheduleStatus[Number(m.status)] ?? 'completed';
      const start = timeOf(m.scheduled_at) ?? now;
      const end = timeOf(m.completed_at) ?? start;
      const title = name(m, `Maintenance ${m.id}`);
      const body = String(m.message ?? '').trim() || title;
      const r = await importMaintenance(
        deps,
        {
          source,
          sourceId: `schedule:${m.id}`,
          title: fit(ctx, title, 200, `schedule ${m.id}`),
          description: fit(ctx, body, 10_000, `schedule ${m.id}`),
          status,
          scheduledFor: start,
          scheduledUntil: end < start ? start : end,
          startedAt: status === 'scheduled' ? null : start,
          completedAt: status === 'completed' ? end : null,
          createdAt: timeOf(m.created_at) ?? now,
          updates: [{ status, body: fit(ctx, body, 10_000, title), displayAt: start }],
        },
        actor,
      );
      return r.created;
    },
  );

  if (subscribers.length)
    await writeSubscribers(
      ctx,
      subscribers.map((s) => ({
        email: String(s.email ?? ''),
        componentIds: null,
        // Cachet marks an address that clicked its link with verified_at.
        state: s.verified_at ? ('confirmed' as const) : ('pending' as const),
      })),
    );
  return ctx.report;
}
