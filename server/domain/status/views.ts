import { and, asc, desc, eq, inArray, isNotNull, isNull, ne, notInArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  type ComponentStatus,
  components,
  type Impact,
  incidentComponents,
  incidents,
  incidentUpdates,
  maintenanceComponents,
  maintenances,
  maintenanceUpdates,
  type MaintenanceStatus,
  updateAffectedComponents,
} from '../../../db/schema/index.ts';
import { getSettings } from '../settings/get-settings.ts';
import { type Indicator, pageIndicator, worstComponentStatus } from './rollup.ts';
import { isHoldingBody } from '../incidents/promise.ts';

// Read services: the public API, the feeds and the Astro pages all read through these, so the
// three surfaces cannot disagree. Shapes follow the Statuspage v2 API (shared/statuspage-compat.md)
// with a few Herald additions (priority, next_update_at).

export interface PageJson {
  id: string;
  name: string;
  url: string;
  time_zone: string;
  updated_at: string;
}
export interface ComponentJson {
  id: string;
  name: string;
  status: ComponentStatus;
  created_at: string;
  updated_at: string;
  position: number;
  description: string | null;
  showcase: boolean;
  start_date: string | null;
  group_id: string | null;
  page_id: string;
  group: boolean;
  only_show_if_degraded: boolean;
  components?: string[];
}
export interface AffectedComponentJson {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
}
export interface IncidentUpdateJson {
  id: string;
  status: string;
  body: string;
  incident_id: string;
  created_at: string;
  updated_at: string;
  display_at: string;
  affected_components: AffectedComponentJson[] | null;
  deliver_notifications: boolean;
  custom_tweet: null;
  tweet_id: null;
  /** Herald: whether this update changed the status (feeds label others "Update"). */
  status_changed: boolean;
  /** Herald: a holding update ("Nothing to update."), which pages show beside the last news. */
  holding: boolean;
  /** Herald: the next update promised by this one. */
  next_update_at: string | null;
}
export interface IncidentJson {
  id: string;
  name: string;
  status: string;
  impact: Impact | 'maintenance';
  created_at: string;
  updated_at: string;
  /** Null for a maintenance that has not started yet. */
  started_at: string | null;
  monitoring_at: string | null;
  resolved_at: string | null;
  shortlink: string;
  page_id: string;
  incident_updates: IncidentUpdateJson[];
  components: ComponentJson[];
  /** Herald: P0 (drop everything) to P3; null for maintenance. */
  priority: number | null;
  /** Herald: when the next update is promised, while unresolved. */
  next_update_at: string | null;
  /** Herald: a practice incident. */
  is_drill: boolean;
  kind: 'incident' | 'maintenance';
}
export interface MaintenanceJson extends IncidentJson {
  status: MaintenanceStatus;
  impact: 'maintenance';
  scheduled_for: string;
  scheduled_until: string;
}
export interface StatusJson {
  indicator: Indicator;
  description: string;
}

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function incidentUrl(page: PageJson, id: string): string {
  return `${page.url}/incidents/${id}`;
}

export async function readPage(db: DbOrTx, fallbackUrl: string): Promise<PageJson> {
  const s = await getSettings(db);
  return {
    id: s.pageId,
    name: s.pageName,
    url: (s.publicUrl ?? fallbackUrl).replace(/\/+$/, ''),
    time_zone: s.timeZone,
    updated_at: iso(s.updatedAt),
  };
}

/** Every component in display order; a group is followed by its children. Positions 1-based. */
export async function readComponents(db: DbOrTx, page: PageJson): Promise<ComponentJson[]> {
  const rows = await db
    .select()
    .from(components)
    .orderBy(asc(components.position), asc(components.createdAt));
  const top = rows.filter((r) => !r.groupId);
  const ordered: (typeof rows)[number][] = [];
  for (const r of top) {
    ordered.push(r);
    if (r.isGroup) ordered.push(...rows.filter((c) => c.groupId === r.id));
  }
  // Children of a missing group (should not happen: FK sets null) still appear.
  for (const r of rows) if (!ordered.includes(r)) ordered.push(r);
  return ordered.map((r, i) => {
    const children = r.isGroup ? rows.filter((c) => c.groupId === r.id) : [];
    const json: ComponentJson = {
      id: r.id,
      name: r.name,
      status: r.isGroup ? worstComponentStatus(children.map((c) => c.status)) : r.status,
      created_at: iso(r.createdAt),
      updated_at: iso(
        r.isGroup
          ? new Date(Math.max(r.updatedAt.getTime(), ...children.map((c) => c.updatedAt.getTime())))
          : r.updatedAt,
      ),
      position: i + 1,
      description: r.description,
      showcase: r.showcase,
      start_date: r.startDate,
      group_id: r.groupId,
      page_id: page.id,
      group: r.isGroup,
      only_show_if_degraded: r.onlyShowIfDegraded,
    };
    if (r.isGroup) json.components = children.map((c) => c.id);
    return json;
  });
}

const publicIncident = and(isNotNull(incidents.publishedAt), eq(incidents.isDrill, false));

async function hydrateIncidents(
  db: DbOrTx,
  page: PageJson,
  rows: (typeof incidents.$inferSelect)[],
  allComponents: ComponentJson[],
): Promise<IncidentJson[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const updates = await db
    .select()
    .from(incidentUpdates)
    // Priority changes carry an internal reason: admin timeline only, never public.
    .where(
      and(
        inArray(incidentUpdates.incidentId, ids),
        eq(incidentUpdates.state, 'published'),
        isNull(incidentUpdates.priorityTo),
      ),
    )
    .orderBy(desc(incidentUpdates.displayAt), desc(incidentUpdates.createdAt));
  const updateIds = updates.map((u) => u.id);
  const affected = updateIds.length
    ? await db
        .select()
        .from(updateAffectedComponents)
        .where(inArray(updateAffectedComponents.updateId, updateIds))
    : [];
  const links = await db
    .select()
    .from(incidentComponents)
    .where(inArray(incidentComponents.incidentId, ids))
    .orderBy(asc(incidentComponents.position));
  const byId = new Map(allComponents.map((c) => [c.id, c]));
  return rows.map((r) => ({
    id: r.id,
    name: r.title,
    status: r.status,
    impact: r.impact,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    started_at: iso(r.startedAt),
    monitoring_at: isoOrNull(r.monitoringAt),
    resolved_at: isoOrNull(r.resolvedAt),
    shortlink: incidentUrl(page, r.id),
    page_id: page.id,
    incident_updates: updates
      .filter((u) => u.incidentId === r.id)
      .map((u) => {
        const a = affected.filter((x) => x.updateId === u.id);
        return {
          id: u.id,
          status: u.status,
          body: u.body,
          incident_id: r.id,
          created_at: iso(u.createdAt),
          updated_at: iso(u.updatedAt),
          display_at: iso(u.displayAt),
          affected_components: a.length
            ? a.map((x) => ({
                code: x.componentId,
                name: byId.get(x.componentId)?.name ?? 'Removed component',
                old_status: x.oldStatus,
                new_status: x.newStatus,
              }))
            : null,
          deliver_notifications: u.notify,
          custom_tweet: null,
          tweet_id: null,
          status_changed: u.statusChanged,
          holding: u.automatic || isHoldingBody(u.body),
          next_update_at: isoOrNull(u.nextUpdateDueAt),
        };
      }),
    components: links
      .filter((l) => l.incidentId === r.id)
      .flatMap((l) => byId.get(l.componentId) ?? []),
    priority: r.priority,
    next_update_at: r.status === 'resolved' ? null : isoOrNull(r.nextUpdateDueAt),
    is_drill: r.isDrill,
    kind: 'incident' as const,
  }));
}

/** Unresolved public incidents, newest first. */
export async function readUnresolvedIncidents(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
): Promise<IncidentJson[]> {
  const rows = await db
    .select()
    .from(incidents)
    .where(and(publicIncident, ne(incidents.status, 'resolved')))
    .orderBy(desc(incidents.startedAt), desc(incidents.createdAt));
  return hydrateIncidents(db, page, rows, all);
}

/** The `limit` most recent public incidents, unresolved ones always included. */
export async function readRecentIncidents(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  limit = 50,
): Promise<IncidentJson[]> {
  const recent = await db
    .select()
    .from(incidents)
    .where(publicIncident)
    .orderBy(desc(incidents.startedAt), desc(incidents.createdAt))
    .limit(limit);
  const recentIds = recent.map((r) => r.id);
  const unresolved = await db
    .select()
    .from(incidents)
    .where(
      and(
        publicIncident,
        ne(incidents.status, 'resolved'),
        recentIds.length ? notInArray(incidents.id, recentIds) : undefined,
      ),
    );
  const rows = [...recent, ...unresolved].sort(
    (a, b) => b.startedAt.getTime() - a.startedAt.getTime(),
  );
  return hydrateIncidents(db, page, rows, all);
}

/** One incident by id, drills included (the incident page marks them). Null when not public. */
export async function readIncident(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  id: string,
): Promise<IncidentJson | null> {
  const rows = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.id, id), isNotNull(incidents.publishedAt)));
  const [one] = await hydrateIncidents(db, page, rows, all);
  return one ?? null;
}

async function hydrateMaintenances(
  db: DbOrTx,
  page: PageJson,
  rows: (typeof maintenances.$inferSelect)[],
  all: ComponentJson[],
): Promise<MaintenanceJson[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const updates = await db
    .select()
    .from(maintenanceUpdates)
    .where(inArray(maintenanceUpdates.maintenanceId, ids))
    .orderBy(desc(maintenanceUpdates.displayAt), desc(maintenanceUpdates.createdAt));
  const links = await db
    .select()
    .from(maintenanceComponents)
    .where(inArray(maintenanceComponents.maintenanceId, ids))
    .orderBy(asc(maintenanceComponents.position));
  const byId = new Map(all.map((c) => [c.id, c]));
  return rows.map((r) => {
    const comps = links
      .filter((l) => l.maintenanceId === r.id)
      .flatMap((l) => byId.get(l.componentId) ?? []);
    return {
      id: r.id,
      name: r.title,
      status: r.status,
      impact: 'maintenance' as const,
      created_at: iso(r.createdAt),
      updated_at: iso(r.updatedAt),
      started_at: isoOrNull(r.startedAt),
      monitoring_at: null,
      resolved_at: isoOrNull(r.completedAt),
      shortlink: incidentUrl(page, r.id),
      page_id: page.id,
      incident_updates: updates
        .filter((u) => u.maintenanceId === r.id)
        .map((u) => ({
          id: u.id,
          status: u.status,
          body: u.body,
          incident_id: r.id,
          created_at: iso(u.createdAt),
          updated_at: iso(u.createdAt),
          display_at: iso(u.displayAt),
          affected_components: null,
          deliver_notifications: u.notify,
          custom_tweet: null,
          tweet_id: null,
          status_changed: u.statusChanged,
          holding: false,
          next_update_at: null,
        })),
      components: comps,
      priority: null,
      next_update_at: null,
      is_drill: false,
      kind: 'maintenance' as const,
      scheduled_for: iso(r.scheduledFor),
      scheduled_until: iso(r.scheduledUntil),
    };
  });
}

export type MaintenanceSelection = 'recent' | 'upcoming' | 'active' | 'current';

/** Maintenances: recent (50, any state), upcoming (scheduled), active, or current (both). */
export async function readMaintenances(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  which: MaintenanceSelection,
  limit = 50,
): Promise<MaintenanceJson[]> {
  const states: Record<MaintenanceSelection, MaintenanceStatus[] | null> = {
    recent: null,
    upcoming: ['scheduled'],
    active: ['in_progress', 'verifying'],
    current: ['scheduled', 'in_progress', 'verifying'],
  };
  const s = states[which];
  const rows = await db
    .select()
    .from(maintenances)
    .where(s ? inArray(maintenances.status, s) : undefined)
    .orderBy(desc(maintenances.scheduledFor), desc(maintenances.createdAt))
    .limit(limit);
  return hydrateMaintenances(db, page, rows, all);
}

export async function readMaintenance(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  id: string,
): Promise<MaintenanceJson | null> {
  const rows = await db.select().from(maintenances).where(eq(maintenances.id, id));
  const [one] = await hydrateMaintenances(db, page, rows, all);
  return one ?? null;
}

export function rollUp(
  all: ComponentJson[],
  unresolved: IncidentJson[],
  switchOn = false,
): StatusJson {
  return pageIndicator(
    all.filter((c) => !c.group).map((c) => c.status),
    unresolved.map((i) => i.impact).filter((i): i is Impact => i !== 'maintenance'),
    switchOn,
  );
}

/**
 * One page of history: incidents and maintenances together, newest first (by start), with
 * the total count for pagination. The feeds announce upcoming maintenance; the history page
 * (`pastOnly`) lists only what has begun.
 */
export async function readHistory(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  opts: { offset: number; limit: number; pastOnly?: boolean },
): Promise<{ entries: IncidentJson[]; total: number }> {
  const union = sql`
    select 'incident' as kind, id, started_at as at from incidents
      where published_at is not null and is_drill = 0
    union all
    select 'maintenance' as kind, id, scheduled_for as at from maintenances
      ${opts.pastOnly ? sql`where status != 'scheduled'` : sql``}`;
  const countRows = await db.all<{ n: number }>(sql`select count(*) as n from (${union})`);
  const keys = await db.all<{ kind: string; id: string; at: number }>(
    sql`select kind, id, at from (${union}) order by at desc, id limit ${opts.limit} offset ${opts.offset}`,
  );
  const incIds = keys.filter((k) => k.kind === 'incident').map((k) => k.id);
  const mIds = keys.filter((k) => k.kind === 'maintenance').map((k) => k.id);
  const inc = incIds.length
    ? await hydrateIncidents(
        db,
        page,
        await db.select().from(incidents).where(inArray(incidents.id, incIds)),
        all,
      )
    : [];
  const mnt = mIds.length
    ? await hydrateMaintenances(
        db,
        page,
        await db.select().from(maintenances).where(inArray(maintenances.id, mIds)),
        all,
      )
    : [];
  const byId = new Map<string, IncidentJson>([...inc, ...mnt].map((e) => [e.id, e]));
  return { entries: keys.flatMap((k) => byId.get(k.id) ?? []), total: countRows[0]?.n ?? 0 };
}
