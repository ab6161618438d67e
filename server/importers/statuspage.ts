import { z } from 'zod';
import {
  componentStatuses,
  impacts,
  incidentStatuses,
  maintenanceStatuses,
} from '../../db/schema/enums.ts';
import { defaultBodyByStatus, priorityByImpact } from '../domain/incidents/statuspage-priority.ts';
import {
  importComponent,
  importIncident,
  importMaintenance,
} from '../domain/imports/import-records.ts';
import { readMappings } from '../domain/imports/mappings.ts';
import {
  baseUrl,
  componentStatusOr,
  each,
  fit,
  getJson,
  type ImportContext,
  type ImportReport,
  newReport,
  parseSource,
  type Progress,
  writeSubscribers,
} from './source.ts';
import type { Actor } from '../domain/shared/actor.ts';
import type { DomainDeps } from '../domain/shared/deps.ts';
import { ValidationError } from '../domain/shared/errors.ts';

// Statuspage: the public v2 JSON of a page (components, groups, incidents and maintenances with
// every update) and, with an API key, the management API (every incident, paged; subscribers
// with their component choices; templates).

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be a timestamp');
const update = z.looseObject({
  id: z.string(),
  status: z.string(),
  body: z.string().nullable(),
  created_at: iso,
  display_at: iso.nullable().optional(),
});
const component = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  position: z.number().nullable().optional(),
  description: z.string().nullable().optional(),
  showcase: z.boolean().optional(),
  only_show_if_degraded: z.boolean().optional(),
  start_date: z.string().nullable().optional(),
  group_id: z.string().nullable().optional(),
  group: z.boolean().optional(),
  created_at: iso.optional(),
});
const incident = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  impact: z.string().nullable().optional(),
  created_at: iso,
  started_at: iso.nullable().optional(),
  monitoring_at: iso.nullable().optional(),
  resolved_at: iso.nullable().optional(),
  scheduled_for: iso.nullable().optional(),
  scheduled_until: iso.nullable().optional(),
  incident_updates: z.array(update).default([]),
  components: z.array(z.looseObject({ id: z.string(), status: z.string() })).default([]),
  metadata: z.unknown().optional(),
});
type SourceIncident = z.output<typeof incident>;
const subscriber = z.looseObject({
  id: z.string(),
  email: z.string().nullable().optional(),
  mode: z.string().nullable().optional(),
  components: z.array(z.string()).nullable().optional(),
  quarantined_at: z.string().nullable().optional(),
});
const template = z.looseObject({ id: z.string().optional(), name: z.string() });

const STATUSPAGE = "in Statuspage's shape";

export interface StatuspageOptions {
  pageUrl: string;
  apiKey?: string;
  pageId?: string;
  /** The management API's base, for tests and proxies. */
  apiUrl?: string;
}

const isOne = <T extends string>(list: readonly T[], v: string): v is T =>
  (list as readonly string[]).includes(v);

export async function importStatuspage(
  deps: DomainDeps,
  options: StatuspageOptions,
  actor: Actor,
  progress: Progress,
): Promise<ImportReport> {
  const pageUrl = baseUrl(options.pageUrl, 'page-url');
  if (!!options.apiKey !== !!options.pageId)
    throw new ValidationError('--api-key and --page-id go together.', {
      [options.apiKey ? 'page-id' : 'api-key']: 'is required with the other',
    });
  const apiUrl = baseUrl(options.apiUrl ?? 'https://api.statuspage.io/v1', 'api-url');
  const auth = options.apiKey ? { authorization: `OAuth ${options.apiKey}` } : undefined;

  const componentsUrl = `${pageUrl}/api/v2/components.json`;
  const head = parseSource(
    z.looseObject({ page: z.looseObject({ id: z.string() }), components: z.array(component) }),
    await getJson(componentsUrl, progress),
    componentsUrl,
    STATUSPAGE,
  );
  const source = `statuspage:${head.page.id}`;
  const ctx: ImportContext = { deps, actor, progress, report: newReport(source) };
  progress.note(`Importing ${pageUrl} (Statuspage page ${head.page.id})`);
  const known = await readMappings(deps.db, source);

  // Incidents and maintenances: every one, with a key; else what the public JSON pages give.
  const entries: SourceIncident[] = [];
  const seen = new Set<string>();
  const addAll = (list: SourceIncident[]) => {
    let added = 0;
    for (const e of list)
      if (!seen.has(e.id)) {
        seen.add(e.id);
        entries.push(e);
        added++;
      }
    return added;
  };
  if (auth) {
    for (let page = 1; ; page++) {
      const url = `${apiUrl}/pages/${encodeURIComponent(options.pageId!)}/incidents?page=${page}&per_page=100`;
      const list = parseSource(
        z.array(incident),
        await getJson(url, progress, auth),
        url,
        STATUSPAGE,
      );
      addAll(list);
      progress.note(`Read ${entries.length} incidents and maintenances`);
      if (list.length < 100) break;
    }
  } else {
    for (const [path, key] of [
      ['incidents.json', 'incidents'],
      ['scheduled-maintenances.json', 'scheduled_maintenances'],
    ] as const) {
      // The public JSON shows the most recent; a source that pages answers ?page=2 with more,
      // one that does not answers the same list again, which ends the loop.
      for (let page = 1; page <= 1000; page++) {
        const url = `${pageUrl}/api/v2/${path}${page > 1 ? `?page=${page}` : ''}`;
        const body = parseSource(
          z.looseObject({ [key]: z.array(incident) }),
          await getJson(url, progress),
          url,
          STATUSPAGE,
        ) as Record<string, SourceIncident[]>;
        const added = addAll(body[key]!);
        if (added === 0) break;
      }
    }
    progress.note(`Read ${entries.length} incidents and maintenances from the public JSON`);
  }
  // Oldest first, so Herald's history fills in the order it happened.
  entries.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  const isMaintenance = (e: SourceIncident) =>
    !!e.scheduled_for || e.impact === 'maintenance' || isOne(maintenanceStatuses, e.status);
  const componentsOf = (e: SourceIncident) =>
    e.components.flatMap((c) => {
      const id = componentIds.get(c.id);
      return id ? [{ componentId: id, status: c.status }] : [];
    });

  // Everything is read before anything is written: a wrong key or a source that stops
  // answering changes nothing here.
  const sourceSubscribers = auth ? await readSubscribers(ctx, apiUrl, options.pageId!, auth) : null;
  const templates: string[] = [];
  if (auth) {
    for (let page = 1; ; page++) {
      const url = `${apiUrl}/pages/${encodeURIComponent(options.pageId!)}/incident_templates?page=${page}&per_page=100`;
      const list = parseSource(
        z.array(template),
        await getJson(url, progress, auth),
        url,
        STATUSPAGE,
      );
      templates.push(...list.map((t) => t.name));
      if (list.length < 100) break;
    }
  }

  // Components: groups first, so their children can name them.
  const componentIds = new Map<string, string>();
  const ordered = [...head.components].sort(
    (a, b) => Number(!!b.group) - Number(!!a.group) || (a.position ?? 0) - (b.position ?? 0),
  );
  await each(
    ctx,
    'components',
    ordered,
    (c) => `component "${c.name}" (${c.id})`,
    async (c) => {
      const status = componentStatusOr(
        ctx,
        `component "${c.name}"`,
        isOne(componentStatuses, c.status) ? c.status : undefined,
        c.status,
      );
      const groupId = c.group_id ? (componentIds.get(c.group_id) ?? null) : null;
      const r = await importComponent(
        deps,
        {
          source,
          sourceId: c.id,
          name: fit(ctx, c.name.trim(), 100, `component "${c.name}"`),
          description: c.description ? fit(ctx, c.description, 500, `component "${c.name}"`) : null,
          isGroup: !!c.group,
          groupId,
          status,
          position: c.position ?? 0,
          showcase: c.showcase ?? true,
          onlyShowIfDegraded: c.only_show_if_degraded ?? false,
          startDate: c.start_date && /^\d{4}-\d{2}-\d{2}$/.test(c.start_date) ? c.start_date : null,
          createdAt: new Date(c.created_at ?? Date.now()),
        },
        actor,
      );
      componentIds.set(c.id, r.id);
      return r.created;
    },
  );

  await each(
    ctx,
    'incidents',
    entries.filter((e) => !isMaintenance(e)),
    (e) => `incident "${e.name}" (${e.id})`,
    async (e) => {
      if (known.has(`incident:${e.id}`)) {
        return false;
      }
      const where = `incident "${e.name}"`;
      const statusOf = (s: string) =>
        s === 'postmortem' ? 'resolved' : isOne(incidentStatuses, s) ? s : 'investigating';
      const updates = updatesOf(ctx, e, statusOf, (status) => defaultBodyByStatus[status], where);
      const status = statusOf(e.status);
      if (updates.length === 0)
        updates.push({
          status,
          body: defaultBodyByStatus[status],
          displayAt: new Date(e.created_at),
          createdAt: new Date(e.created_at),
        });
      const impact = e.impact && isOne(impacts, e.impact) ? e.impact : 'none';
      const herald = (e.metadata as { herald?: { priority?: unknown } } | undefined)?.herald;
      const priority =
        typeof herald?.priority === 'number' && [0, 1, 2, 3].includes(herald.priority)
          ? herald.priority
          : priorityByImpact[impact];
      const r = await importIncident(
        deps,
        {
          source,
          sourceId: e.id,
          title: fit(ctx, e.name.trim() || '(untitled)', 200, where),
          priority,
          impact,
          status,
          createdAt: new Date(e.created_at),
          startedAt: new Date(e.started_at ?? e.created_at),
          monitoringAt: e.monitoring_at ? new Date(e.monitoring_at) : null,
          resolvedAt: e.resolved_at ? new Date(e.resolved_at) : null,
          components: componentsOf(e).flatMap((c) =>
            isOne(componentStatuses, c.status) ? [{ ...c, status: c.status }] : [],
          ),
          updates,
        },
        actor,
      );
      return r.created;
    },
  );

  await each(
    ctx,
    'maintenances',
    entries.filter(isMaintenance),
    (e) => `maintenance "${e.name}" (${e.id})`,
    async (e) => {
      if (known.has(`maintenance:${e.id}`)) return false;
      const where = `maintenance "${e.name}"`;
      const statusOf = (s: string) => (isOne(maintenanceStatuses, s) ? s : 'completed');
      // A window's steps carry no time of writing apart from the time shown.
      const updates = updatesOf(ctx, e, statusOf, () => e.name, where).map(
        ({ createdAt: _, ...u }) => u,
      );
      const start = e.scheduled_for ?? e.started_at ?? e.created_at;
      const r = await importMaintenance(
        deps,
        {
          source,
          sourceId: e.id,
          title: fit(ctx, e.name.trim() || '(untitled)', 200, where),
          description: updates[0]?.body ?? '',
          status: statusOf(e.status),
          scheduledFor: new Date(start),
          scheduledUntil: new Date(e.scheduled_until ?? e.resolved_at ?? start),
          startedAt: e.started_at ? new Date(e.started_at) : null,
          completedAt: e.resolved_at ? new Date(e.resolved_at) : null,
          createdAt: new Date(e.created_at),
          componentIds: componentsOf(e).map((c) => c.componentId),
          updates,
        },
        actor,
      );
      return r.created;
    },
  );

  if (sourceSubscribers) {
    const leaves = head.components.filter((c) => !c.group).length;
    await writeSubscribers(ctx, subscriberRows(ctx, sourceSubscribers, componentIds, leaves));
  }
  if (templates.length)
    ctx.report.unmapped.push(
      `${templates.length} incident templates not imported (Herald has no incident templates; write them as runbooks): ${templates.map((t) => `"${t}"`).join(', ')}`,
    );
  return ctx.report;
}

/**
 * An incident's or window's updates in Herald's words, oldest first by the time readers saw
 * them; an update without text reads `emptyBody` of its status.
 */
function updatesOf<S extends string>(
  ctx: ImportContext,
  e: SourceIncident,
  statusOf: (s: string) => S,
  emptyBody: (status: S) => string,
  where: string,
) {
  return [...e.incident_updates]
    .sort(
      (a, b) => Date.parse(a.display_at ?? a.created_at) - Date.parse(b.display_at ?? b.created_at),
    )
    .map((u) => {
      const status = statusOf(u.status);
      return {
        status,
        body: fit(ctx, u.body?.trim() || emptyBody(status), 10_000, where),
        displayAt: new Date(u.display_at ?? u.created_at),
        createdAt: new Date(u.created_at),
      };
    });
}

interface SourceSubscriber {
  email: string;
  components: string[];
  state: 'confirmed' | 'pending';
}

/** Subscribers by state at the source: active ones confirmed, unconfirmed ones pending. */
async function readSubscribers(
  ctx: ImportContext,
  apiUrl: string,
  pageId: string,
  auth: Record<string, string>,
): Promise<SourceSubscriber[]> {
  const rows: SourceSubscriber[] = [];
  for (const [state, herald] of [
    ['active', 'confirmed'],
    ['unconfirmed', 'pending'],
    ['quarantined', null],
  ] as const) {
    for (let page = 1; ; page++) {
      const url = `${apiUrl}/pages/${encodeURIComponent(pageId)}/subscribers?state=${state}&page=${page}&per_page=100`;
      const batch = parseSource(
        z.array(subscriber),
        await getJson(url, ctx.progress, auth),
        url,
        STATUSPAGE,
      );
      for (const s of batch) {
        const who = s.email ?? s.id;
        if (herald === null) {
          ctx.report.unmapped.push(`subscriber ${who}: quarantined at the source (mail bounced)`);
          continue;
        }
        if ((s.mode ?? 'email') !== 'email' || !s.email) {
          ctx.report.unmapped.push(
            `subscriber ${who}: ${s.mode ?? 'unknown'} subscriptions have no Herald counterpart`,
          );
          continue;
        }
        rows.push({ email: s.email, components: s.components ?? [], state: herald });
      }
      if (batch.length < 100) break;
    }
    ctx.progress.note(`Read ${rows.length} subscribers`);
  }
  return rows;
}

/**
 * Subscribers with their component choices in Herald's ids. No choice at Statuspage means every
 * component, as it did there (new ones included), and so does choosing every one. A choice that
 * names components Herald does not have (deleted at the source, or not imported) is never
 * widened to everything: the unknown ones are dropped and reported, and someone whose every
 * choice is unknown is reported and not imported.
 */
function subscriberRows(
  ctx: ImportContext,
  source: SourceSubscriber[],
  componentIds: Map<string, string>,
  leafCount: number,
) {
  return source.flatMap((s) => {
    const chosen = s.components.flatMap((id) => componentIds.get(id) ?? []);
    const unknown = s.components.filter((id) => !componentIds.has(id));
    if (s.components.length > 0 && chosen.length === 0) {
      ctx.report.unmapped.push(
        `subscriber ${s.email}: chose only components not in Herald (${unknown.join(', ')}); not imported`,
      );
      return [];
    }
    if (unknown.length)
      ctx.report.unmapped.push(
        `subscriber ${s.email}: chosen component${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in Herald; subscribed to the others`,
      );
    return [
      {
        email: s.email,
        componentIds: chosen.length === 0 || chosen.length >= leafCount ? null : chosen,
        state: s.state,
      },
    ];
  });
}
