import { z } from 'zod';
import type { ComponentStatus, Impact, MaintenanceStatus } from '../../db/schema/enums.ts';
import { priorityByImpact } from '../domain/incidents/statuspage-priority.ts';
import {
  importComponent,
  importIncident,
  importMaintenance,
} from '../domain/imports/import-records.ts';
import type { Actor } from '../domain/shared/actor.ts';
import type { DomainDeps } from '../domain/shared/deps.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import {
  baseUrl,
  each,
  fit,
  getJson,
  importGroups,
  type ImportContext,
  type ImportReport,
  newReport,
  parseSource,
  type Progress,
  sourceTime,
} from './source.ts';

// Uptime Kuma: one status page's public JSON (/api/status-page/<slug>: its groups with their
// monitors, its pinned incident, its maintenance) and the heartbeats that give each monitor's
// status now (/api/status-page/heartbeat/<slug>). Groups become groups, monitors components.

// Uptime Kuma writes "2024-05-01 10:00:00" in UTC (or an ISO string in newer versions), except
// a single maintenance window's dates: those are kept as typed, in the window's `timezone`.
const kumaDate = z.string().refine((s) => !Number.isNaN(sourceTime(s).getTime()), 'must be a date');

const statusPage = z.looseObject({
  config: z.looseObject({ slug: z.string().optional(), title: z.string().optional() }),
  incident: z
    .looseObject({
      id: z.union([z.number(), z.string()]),
      title: z.string().nullable().optional(),
      content: z.string().nullable().optional(),
      style: z.string().nullable().optional(),
      createdDate: kumaDate,
      lastUpdatedDate: kumaDate.nullable().optional(),
    })
    .nullable()
    .optional(),
  publicGroupList: z.array(
    z.looseObject({
      id: z.union([z.number(), z.string()]),
      name: z.string(),
      weight: z.number().nullable().optional(),
      monitorList: z
        .array(
          z.looseObject({
            id: z.union([z.number(), z.string()]),
            name: z.string(),
            description: z.string().nullable().optional(),
          }),
        )
        .default([]),
    }),
  ),
  maintenanceList: z
    .array(
      z.looseObject({
        id: z.union([z.number(), z.string()]),
        title: z.string(),
        description: z.string().nullable().optional(),
        strategy: z.string().optional(),
        status: z.string().optional(),
        timezone: z.string().nullable().optional(),
        timeslotList: z
          .array(z.looseObject({ startDate: kumaDate, endDate: kumaDate }))
          .default([]),
      }),
    )
    .default([]),
});
const KUMA = 'an Uptime Kuma status page';
const heartbeats = z.looseObject({
  heartbeatList: z.record(
    z.string(),
    z.array(z.looseObject({ status: z.number(), time: z.string().optional() })),
  ),
});

/** A heartbeat's status: 0 down, 1 up, 2 pending, 3 maintenance. */
const statusByBeat: Record<number, ComponentStatus> = {
  0: 'major_outage',
  1: 'operational',
  2: 'degraded_performance',
  3: 'under_maintenance',
};

/** An incident's colour on the page is all Uptime Kuma says about how bad it is. */
const impactByStyle: Record<string, Impact> = { danger: 'major', warning: 'minor' };

const maintenanceByStatus: Record<string, MaintenanceStatus> = {
  scheduled: 'scheduled',
  'under-maintenance': 'in_progress',
  ended: 'completed',
};

export async function importUptimeKuma(
  deps: DomainDeps,
  options: { url: string; slug: string },
  actor: Actor,
  progress: Progress,
): Promise<ImportReport> {
  const url = baseUrl(options.url, 'url');
  if (!options.slug) throw new ValidationError('--slug is required.', { slug: 'is required' });
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(options.slug))
    throw new ValidationError('--slug must be the status page slug, such as "default".', {
      slug: 'is not a slug',
    });
  const slug = encodeURIComponent(options.slug);
  const pageUrl = `${url}/api/status-page/${slug}`;
  const page = parseSource(statusPage, await getJson(pageUrl, progress), pageUrl, KUMA);
  const beatsUrl = `${url}/api/status-page/heartbeat/${slug}`;
  const beats = parseSource(heartbeats, await getJson(beatsUrl, progress), beatsUrl, KUMA);

  const source = `uptime-kuma:${new URL(url).host}/${options.slug}`;
  const ctx: ImportContext = { deps, actor, progress, report: newReport(source) };
  progress.note(`Importing ${pageUrl}`);

  const groups = [...page.publicGroupList].sort((a, b) => (a.weight ?? 0) - (b.weight ?? 0));
  const componentIds = new Map<string, string>();
  const now = deps.clock.now();
  await importGroups(
    ctx,
    groups,
    componentIds,
    (g) => `group "${g.name}"`,
    (g) => ({
      name: fit(ctx, g.name.trim() || 'Services', 100, `group "${g.name}"`),
      position: g.weight ?? 0,
      createdAt: now,
    }),
  );

  const monitors = groups.flatMap((g) =>
    g.monitorList.map((m, i) => ({ ...m, groupId: `group:${g.id}`, position: i + 1 })),
  );
  const once = new Set<string>();
  await each(
    ctx,
    'components',
    monitors,
    (m) => `monitor "${m.name}"`,
    async (m) => {
      if (once.has(String(m.id))) {
        ctx.report.unmapped.push(
          `monitor "${m.name}": shown in more than one group; kept in the first only`,
        );
        return false;
      }
      once.add(String(m.id));
      const last = beats.heartbeatList[String(m.id)]?.at(-1);
      const r = await importComponent(
        deps,
        {
          source,
          sourceId: `monitor:${m.id}`,
          name: fit(ctx, m.name.trim() || `Monitor ${m.id}`, 100, `monitor "${m.name}"`),
          description: m.description ? fit(ctx, m.description, 500, `monitor "${m.name}"`) : null,
          isGroup: false,
          groupId: componentIds.get(m.groupId) ?? null,
          status: (last && statusByBeat[last.status]) ?? 'operational',
          position: m.position,
          createdAt: now,
        },
        actor,
      );
      componentIds.set(`monitor:${m.id}`, r.id);
      return r.created;
    },
  );

  const incident = page.incident;
  if (incident) {
    await each(
      ctx,
      'incidents',
      [incident],
      (i) => `incident "${i.title}"`,
      async (i) => {
        const impact = impactByStyle[i.style ?? ''] ?? 'none';
        const created = sourceTime(i.createdDate);
        const title = (i.title ?? '').trim() || 'Incident';
        const r = await importIncident(
          deps,
          {
            source,
            sourceId: String(i.id),
            title: fit(ctx, title, 200, `incident "${title}"`),
            priority: priorityByImpact[impact],
            impact,
            // A pinned incident is on the page until someone takes it down: still open.
            status: 'investigating',
            createdAt: created,
            startedAt: created,
            updates: [
              {
                status: 'investigating',
                body: fit(ctx, (i.content ?? '').trim() || title, 10_000, `incident "${title}"`),
                displayAt: i.lastUpdatedDate ? sourceTime(i.lastUpdatedDate) : created,
                createdAt: created,
              },
            ],
          },
          actor,
        );
        return r.created;
      },
    );
  }

  await each(
    ctx,
    'maintenances',
    page.maintenanceList,
    (m) => `maintenance "${m.title}"`,
    async (m) => {
      const status = maintenanceByStatus[m.status ?? ''];
      const slot = m.timeslotList[0];
      if (!status || !slot) {
        ctx.report.unmapped.push(
          `maintenance "${m.title}": ${!status ? `is ${m.status ?? 'without a status'}` : 'has no time window'}; not imported`,
        );
        return false;
      }
      if (m.strategy && m.strategy !== 'single' && m.strategy !== 'manual')
        ctx.report.unmapped.push(
          `maintenance "${m.title}": repeats (${m.strategy}); only its next window was imported`,
        );
      const title = m.title.trim() || 'Maintenance';
      const body = (m.description ?? '').trim() || title;
      const start = sourceTime(slot.startDate, m.timezone);
      const r = await importMaintenance(
        deps,
        {
          source,
          sourceId: String(m.id),
          title: fit(ctx, title, 200, `maintenance "${title}"`),
          description: fit(ctx, body, 10_000, `maintenance "${title}"`),
          status,
          scheduledFor: start,
          scheduledUntil: sourceTime(slot.endDate, m.timezone),
          startedAt: status === 'scheduled' ? null : start,
          createdAt: now,
          componentIds: [],
          updates: [{ status, body: fit(ctx, body, 10_000, title), displayAt: start }],
        },
        actor,
      );
      return r.created;
    },
  );
  return ctx.report;
}
