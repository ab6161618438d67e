import type {
  ComponentStatus,
  components,
  Impact,
  incidentComponents,
  incidents,
  maintenanceComponents,
  maintenances,
  maintenanceUpdates,
  MaintenanceState,
  settings,
  updateAffectedComponents,
} from '../../../db/schema/index.ts';
import { type Indicator, pageIndicator, worstComponentStatus } from './rollup.ts';
import { isHoldingBody } from '../incidents/promise.ts';
import type { PublicUpdateRow } from './public-rows.ts';
import { postmortemJson, type PublicPostmortem } from './public-postmortem.ts';

// The Statuspage v2 shapes (with a few Herald additions: next_update_at, kind, and the priority
// for staff readers only) as pure functions of rows. The public API, the feeds and the Astro pages all get these, so the
// surfaces cannot disagree; the queries that fetch the rows are in read-status.ts.

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
  /** Herald: the PM's own translations of `body`, by language tag, or null. */
  translations: Record<string, string> | null;
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
  /**
   * Herald: P0 (drop everything) to P3, for staff readers only (an audience that sees internal
   * text, the management API); absent for the public and named audiences, who hear impact.
   */
  priority?: number | null;
  /** Herald: when the next update is promised, while unresolved. */
  next_update_at: string | null;
  /** Herald: the promised update is more than a few minutes late (say so, not the old time). */
  next_update_late: boolean;
  /** Herald: a practice incident. */
  is_drill: boolean;
  kind: 'incident' | 'maintenance';
}
/** Statuspage's post-mortem fields, null until one is published. */
export interface IncidentJson extends ReturnType<typeof postmortemJson> {}
export interface MaintenanceJson extends IncidentJson {
  /** Herald adds `cancelled` (a window called off before it started) to Statuspage's four. */
  status: MaintenanceState;
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

export function pageJson(s: typeof settings.$inferSelect, fallbackUrl: string): PageJson {
  return {
    id: s.pageId,
    name: s.pageName,
    url: (s.publicUrl ?? fallbackUrl).replace(/\/+$/, ''),
    time_zone: s.timeZone,
    updated_at: iso(s.updatedAt),
  };
}

type ComponentRow = typeof components.$inferSelect;

/** Every component in display order; a group is followed by its children. Positions 1-based. */
export function componentsJson(rows: readonly ComponentRow[], page: PageJson): ComponentJson[] {
  const top = rows.filter((r) => !r.groupId);
  const ordered: ComponentRow[] = [];
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

/** The rows one batch of incidents is built from (public updates only, newest first). */
export interface IncidentRows {
  incidents: readonly (typeof incidents.$inferSelect)[];
  updates: readonly PublicUpdateRow[];
  affected: readonly (typeof updateAffectedComponents.$inferSelect)[];
  links: readonly (typeof incidentComponents.$inferSelect)[];
  /** Published post-mortems by incident id. */
  postmortems?: ReadonlyMap<string, PublicPostmortem>;
}

export function incidentsJson(
  page: PageJson,
  rows: IncidentRows,
  allComponents: readonly ComponentJson[],
  reader: { staff: boolean },
): IncidentJson[] {
  const byId = new Map(allComponents.map((c) => [c.id, c]));
  const { updates, affected, links } = rows;
  return rows.incidents.map((r) => ({
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
          translations: u.translations ?? null,
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
    ...(reader.staff ? { priority: r.priority } : {}),
    next_update_at: r.status === 'resolved' ? null : isoOrNull(r.nextUpdateDueAt),
    next_update_late: r.status !== 'resolved' && r.promiseLateAt !== null,
    is_drill: r.isDrill,
    kind: 'incident' as const,
    ...postmortemJson(rows.postmortems?.get(r.id)),
  }));
}

/** The rows one batch of maintenance windows is built from (updates newest first). */
export interface MaintenanceRows {
  maintenances: readonly (typeof maintenances.$inferSelect)[];
  updates: readonly (typeof maintenanceUpdates.$inferSelect)[];
  links: readonly (typeof maintenanceComponents.$inferSelect)[];
}

export function maintenancesJson(
  page: PageJson,
  rows: MaintenanceRows,
  all: readonly ComponentJson[],
): MaintenanceJson[] {
  const byId = new Map(all.map((c) => [c.id, c]));
  const { updates, links } = rows;
  return rows.maintenances.map((r) => {
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
      // Statuspage fills started_at with the publish time until the window starts, and typed
      // clients expect a timestamp: never null for a published window.
      started_at: iso(r.startedAt ?? r.createdAt),
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
          translations: null,
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
      next_update_at: null,
      next_update_late: false,
      is_drill: false,
      kind: 'maintenance' as const,
      ...postmortemJson(undefined),
      scheduled_for: iso(r.scheduledFor),
      scheduled_until: iso(r.scheduledUntil),
    };
  });
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
