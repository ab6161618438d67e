import { and, eq, isNotNull, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  incidentAudiences,
  incidentComponents,
  incidents,
  maintenanceComponents,
  maintenances,
} from '../../../db/schema/index.ts';

// The one place a reader's surface reads the incidents table. An incident for chosen audiences
// only (`audienceOnly`) must reach no public surface at all; rather than each renderer
// remembering that, every reader names its scope (there is no default) and gets rows through
// these functions, which filter by it. test/unit/audience-boundary.test.ts fails when a module
// a public surface imports reads the table any other way.

/**
 * Who reads: the public, or one named audience. An audience sees the public incidents touching
 * its components (all when `componentIds` is null; an incident naming no component touches
 * all), and every incident chosen for it; a staff audience every audience-only incident.
 */
export type IncidentScope =
  | { readonly kind: 'public' }
  | {
      readonly kind: 'audience';
      readonly audienceId: string;
      readonly seesInternal: boolean;
      readonly componentIds: readonly string[] | null;
    };

export const PUBLIC_SCOPE: IncidentScope = Object.freeze({ kind: 'public' });

export function audienceScope(a: {
  id: string;
  seesInternal: boolean;
  componentIds: string[] | null;
}): IncidentScope {
  return {
    kind: 'audience',
    audienceId: a.id,
    seesInternal: a.seesInternal,
    componentIds: a.componentIds,
  };
}

/** Rows of a component link table (`link`) whose owner (`owner`) touches the scope's components. */
function touches(
  ids: readonly string[] | null,
  link: typeof incidentComponents | typeof maintenanceComponents,
  ownerColumn: SQL,
  owner: SQL,
): SQL {
  if (ids === null) return sql`1 = 1`;
  const list = JSON.stringify(ids);
  return sql`(not exists (select 1 from ${link} where ${ownerColumn} = ${owner})
    or exists (select 1 from ${link} where ${ownerColumn} = ${owner}
      and ${link.componentId} in (select value from json_each(${list}))))`;
}

/** The incidents the scope may see: public ones, plus those chosen for its audience. */
export function seenBy(scope: IncidentScope): SQL {
  const everyone = eq(incidents.audienceOnly, false);
  if (scope.kind === 'public') return everyone;
  const own = touches(
    scope.componentIds,
    incidentComponents,
    sql`${incidentComponents.incidentId}`,
    sql`${incidents.id}`,
  );
  const chosen = scope.seesInternal
    ? eq(incidents.audienceOnly, true)
    : and(
        eq(incidents.audienceOnly, true),
        sql`exists (select 1 from ${incidentAudiences} where ${incidentAudiences.incidentId} = ${incidents.id} and ${incidentAudiences.audienceId} = ${scope.audienceId})`,
      );
  return or(and(everyone, own), chosen)!;
}

/** The maintenance windows the scope sees: all for the public, its components' for an audience. */
export function maintenanceSeenBy(scope: IncidentScope): SQL {
  if (scope.kind === 'public') return sql`1 = 1`;
  return touches(
    scope.componentIds,
    maintenanceComponents,
    sql`${maintenanceComponents.maintenanceId}`,
    sql`${maintenances.id}`,
  );
}

/** Published and not a drill: what a reader's lists and history show. */
export const listedIncident = and(isNotNull(incidents.publishedAt), eq(incidents.isDrill, false))!;

export type IncidentRow = typeof incidents.$inferSelect;

/** Whole incident rows the scope may see, filtered further by `where`. */
export function selectIncidents(db: DbOrTx, scope: IncidentScope, where?: SQL) {
  return db
    .select()
    .from(incidents)
    .where(and(seenBy(scope), where));
}

/** Some columns of the incidents the scope may see. */
export function selectIncidentColumns<T extends Parameters<DbOrTx['select']>[0] & object>(
  db: DbOrTx,
  scope: IncidentScope,
  columns: T,
  where?: SQL,
) {
  return db
    .select(columns)
    .from(incidents)
    .where(and(seenBy(scope), where));
}

/**
 * The history's incident keys as raw SQL (`kind, id, at`) for the union with maintenances:
 * published, not drills, and seen by the scope.
 */
export function historyIncidentKeys(scope: IncidentScope): SQL {
  return sql`select 'incident' as kind, ${incidents.id} as id, ${incidents.startedAt} as at from ${incidents}
      where ${listedIncident} and ${seenBy(scope)}`;
}

/** `(select id, title from incidents …)` for a raw join: the incidents the scope may see. */
export function incidentsSeenBySql(scope: IncidentScope): SQL {
  return sql`(select ${incidents.id} as id, ${incidents.title} as title from ${incidents} where ${seenBy(scope)})`;
}
