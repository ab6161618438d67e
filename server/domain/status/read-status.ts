import { readPublishedPostmortems } from './public-postmortem.ts';
import { and, asc, desc, eq, inArray, isNotNull, isNull, ne, notInArray, sql } from 'drizzle-orm';
import {
  historyIncidentKeys,
  type IncidentRow,
  type IncidentScope,
  listedIncident,
  maintenanceSeenBy,
  selectIncidents,
} from './incident-scope.ts';
import type { DbOrTx } from '../../../db/client.ts';
import {
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  maintenanceComponents,
  maintenances,
  maintenanceUpdates,
  type MaintenanceStatus,
  maintenanceStatuses,
  updateAffectedComponents,
} from '../../../db/schema/index.ts';
import { getSettings } from '../settings/get-settings.ts';
import { asPublicUpdate, publicUpdateColumns } from './public-rows.ts';
import {
  type ComponentJson,
  componentsJson,
  type IncidentJson,
  incidentsJson,
  type MaintenanceJson,
  maintenancesJson,
  type PageJson,
  pageJson,
} from './statuspage-json.ts';

// The queries behind the public read services: they fetch rows and hand them to the pure
// Statuspage shapes in statuspage-json.ts.

export async function readPage(db: DbOrTx, fallbackUrl: string): Promise<PageJson> {
  return pageJson(await getSettings(db), fallbackUrl);
}

/** Every component in display order; a group is followed by its children. */
export async function readComponents(db: DbOrTx, page: PageJson): Promise<ComponentJson[]> {
  const rows = await db
    .select()
    .from(components)
    .orderBy(asc(components.position), asc(components.createdAt));
  return componentsJson(rows, page);
}

/**
 * The incidents' public shapes for the scope's reader; an audience that sees internal text
 * (staff) also gets the internal priority, which nobody else does (DESIGN practice 4).
 */
export async function hydrateIncidents(
  db: DbOrTx,
  page: PageJson,
  rows: IncidentRow[],
  allComponents: ComponentJson[],
  scope: IncidentScope,
): Promise<IncidentJson[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const rows_ = await db
    .select(publicUpdateColumns)
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
  const updates = rows_.map(asPublicUpdate);
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
  const postmortems = await readPublishedPostmortems(db, ids);
  return incidentsJson(
    page,
    { incidents: rows, updates, affected, links, postmortems },
    allComponents,
    { staff: scope.kind === 'audience' && scope.seesInternal },
  );
}

/** Unresolved incidents the scope sees, newest first. */
export async function readUnresolvedIncidents(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  scope: IncidentScope,
): Promise<IncidentJson[]> {
  const rows = await selectIncidents(
    db,
    scope,
    and(listedIncident, ne(incidents.status, 'resolved')),
  ).orderBy(desc(incidents.startedAt), desc(incidents.createdAt));
  return hydrateIncidents(db, page, rows, all, scope);
}

/** The `limit` most recent incidents the scope sees, unresolved ones always included. */
export async function readRecentIncidents(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  scope: IncidentScope,
  limit = 50,
): Promise<IncidentJson[]> {
  const recent = await selectIncidents(db, scope, listedIncident)
    .orderBy(desc(incidents.startedAt), desc(incidents.createdAt))
    .limit(limit);
  const recentIds = recent.map((r) => r.id);
  const unresolved = await selectIncidents(
    db,
    scope,
    and(
      listedIncident,
      ne(incidents.status, 'resolved'),
      recentIds.length ? notInArray(incidents.id, recentIds) : undefined,
    ),
  );
  const rows = [...recent, ...unresolved].sort(
    (a, b) => b.startedAt.getTime() - a.startedAt.getTime(),
  );
  return hydrateIncidents(db, page, rows, all, scope);
}

/**
 * One incident by id, drills included (the incident page marks them). Null when not published
 * or not seen by the scope, so an incident for other audiences answers like an unknown id.
 */
export async function readIncident(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  scope: IncidentScope,
  id: string,
): Promise<IncidentJson | null> {
  const rows = await selectIncidents(
    db,
    scope,
    and(eq(incidents.id, id), isNotNull(incidents.publishedAt)),
  );
  const [one] = await hydrateIncidents(db, page, rows, all, scope);
  return one ?? null;
}

export async function hydrateMaintenances(
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
  return maintenancesJson(page, { maintenances: rows, updates, links }, all);
}

export type MaintenanceSelection = 'recent' | 'upcoming' | 'active' | 'current' | 'calendar';

/**
 * Maintenances: recent (50, any state but cancelled), upcoming (scheduled), active, current
 * (both), or calendar (recent with the cancelled ones, which calendar apps must be told of).
 */
export async function readMaintenances(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  which: MaintenanceSelection,
  limit = 50,
): Promise<MaintenanceJson[]> {
  const states: Record<MaintenanceSelection, MaintenanceStatus[] | null> = {
    recent: [...maintenanceStatuses],
    upcoming: ['scheduled'],
    active: ['in_progress', 'verifying'],
    current: ['scheduled', 'in_progress', 'verifying'],
    calendar: null,
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
  scope: IncidentScope,
  id: string,
): Promise<MaintenanceJson | null> {
  const rows = await db
    .select()
    .from(maintenances)
    .where(and(eq(maintenances.id, id), maintenanceSeenBy(scope)));
  const [one] = await hydrateMaintenances(db, page, rows, all);
  return one ?? null;
}

/**
 * One page of history: incidents and maintenances together, newest first (by start), with
 * the total count for pagination. The feeds announce upcoming maintenance (and say when it is
 * cancelled); the history page (`pastOnly`) lists only what has begun.
 */
export async function readHistory(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  scope: IncidentScope,
  opts: { offset: number; limit: number; pastOnly?: boolean },
): Promise<{ entries: IncidentJson[]; total: number }> {
  const union = sql`
    ${historyIncidentKeys(scope)}
    union all
    select 'maintenance' as kind, ${maintenances.id} as id, ${maintenances.scheduledFor} as at
      from ${maintenances}
      where ${maintenanceSeenBy(scope)}
      ${opts.pastOnly ? sql`and ${maintenances.status} not in ('scheduled', 'cancelled')` : sql``}`;
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
        await selectIncidents(db, scope, inArray(incidents.id, incIds)),
        all,
        scope,
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
