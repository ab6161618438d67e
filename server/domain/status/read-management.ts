import { and, desc, eq, inArray, isNotNull, like, ne } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  incidents,
  maintenances,
  maintenanceStatuses,
  type MaintenanceStatus,
} from '../../../db/schema/index.ts';
import {
  type IncidentScope,
  PUBLIC_SCOPE,
  selectIncidentColumns,
  selectIncidents,
} from './incident-scope.ts';
import {
  hydrateIncidents,
  hydrateMaintenances,
  readIncident,
  readMaintenance,
} from './read-status.ts';
import type { ComponentJson, IncidentJson, MaintenanceJson, PageJson } from './statuspage-json.ts';

// The management API's reads: Statuspage lists incidents and maintenances in one collection,
// newest created first, paged. Published, non-drill incidents only, as on the public page: a
// drill never reaches the tools that read Statuspage's API, nor does an incident for chosen
// audiences only (Statuspage's shapes have no audience to say who may read it).

/**
 * An incident or window as staff read it through the management API: the public shape plus the
 * internal priority (null for a window), which the public shapes leave out.
 */
export type ManagedEntry = (IncidentJson | MaintenanceJson) & { priority: number | null };

/**
 * The internal priority of each incident by id the scope sees, for staff surfaces only (the
 * management API, internal channels).
 */
export async function readPriorities(
  db: DbOrTx,
  scope: IncidentScope,
  ids: string[],
): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await selectIncidentColumns(
    db,
    scope,
    { id: incidents.id, priority: incidents.priority },
    inArray(incidents.id, ids),
  );
  return new Map(rows.map((r) => [r.id, r.priority]));
}

async function withPriorities(
  db: DbOrTx,
  entries: (IncidentJson | MaintenanceJson)[],
): Promise<ManagedEntry[]> {
  const ids = entries.filter((e) => e.kind === 'incident').map((e) => e.id);
  const priorities = await readPriorities(db, PUBLIC_SCOPE, ids);
  return entries.map((e) => ({
    ...e,
    priority: e.kind === 'incident' ? (priorities.get(e.id) ?? null) : null,
  }));
}

/** One incident (drills included, as the page shows them) or window by id, or null. */
export async function readManagedEntry(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  id: string,
): Promise<ManagedEntry | null> {
  const entry =
    (await readIncident(db, page, all, PUBLIC_SCOPE, id)) ??
    (await readMaintenance(db, page, all, PUBLIC_SCOPE, id));
  return entry ? ((await withPriorities(db, [entry]))[0] ?? null) : null;
}

export type EntrySelection = 'all' | 'unresolved' | 'scheduled' | 'active_maintenance';

export interface EntryQuery {
  which: EntrySelection;
  limit: number;
  offset: number;
  /** A case-insensitive piece of the name. */
  q?: string;
}

const escapeLike = (q: string) => `%${q.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;

export async function readEntryPage(
  db: DbOrTx,
  page: PageJson,
  all: ComponentJson[],
  query: EntryQuery,
): Promise<ManagedEntry[]> {
  const name = query.q ? escapeLike(query.q) : null;
  const wantIncidents = query.which === 'all' || query.which === 'unresolved';
  const maintenanceStates: Record<EntrySelection, MaintenanceStatus[] | null> = {
    all: [...maintenanceStatuses],
    unresolved: [],
    scheduled: ['scheduled'],
    active_maintenance: ['in_progress', 'verifying'],
  };
  const states = maintenanceStates[query.which];
  const heads: { id: string; kind: 'incident' | 'maintenance'; at: number }[] = [];
  if (wantIncidents) {
    const rows = await selectIncidentColumns(
      db,
      PUBLIC_SCOPE,
      { id: incidents.id, createdAt: incidents.createdAt },
      and(
        isNotNull(incidents.publishedAt),
        eq(incidents.isDrill, false),
        query.which === 'unresolved' ? ne(incidents.status, 'resolved') : undefined,
        name ? like(incidents.title, name) : undefined,
      ),
    )
      .orderBy(desc(incidents.createdAt))
      .limit(query.offset + query.limit);
    for (const r of rows) heads.push({ id: r.id, kind: 'incident', at: r.createdAt.getTime() });
  }
  if (states === null || states.length > 0) {
    const rows = await db
      .select({ id: maintenances.id, createdAt: maintenances.createdAt })
      .from(maintenances)
      .where(
        and(
          states ? inArray(maintenances.status, states) : undefined,
          name ? like(maintenances.title, name) : undefined,
        ),
      )
      .orderBy(desc(maintenances.createdAt))
      .limit(query.offset + query.limit);
    for (const r of rows) heads.push({ id: r.id, kind: 'maintenance', at: r.createdAt.getTime() });
  }
  heads.sort((a, b) => b.at - a.at);
  const slice = heads.slice(query.offset, query.offset + query.limit);
  const ids = (kind: string) => slice.filter((h) => h.kind === kind).map((h) => h.id);
  const incidentRows = ids('incident').length
    ? await selectIncidents(db, PUBLIC_SCOPE, inArray(incidents.id, ids('incident')))
    : [];
  const maintenanceRows = ids('maintenance').length
    ? await db
        .select()
        .from(maintenances)
        .where(inArray(maintenances.id, ids('maintenance')))
    : [];
  const byId = new Map<string, IncidentJson | MaintenanceJson>();
  for (const i of await hydrateIncidents(db, page, incidentRows, all, PUBLIC_SCOPE))
    byId.set(i.id, i);
  for (const m of await hydrateMaintenances(db, page, maintenanceRows, all)) byId.set(m.id, m);
  return withPriorities(
    db,
    slice.flatMap((h) => byId.get(h.id) ?? []),
  );
}
