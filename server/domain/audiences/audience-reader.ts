import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  incidentComponents,
  incidents,
  incidentUpdates,
  updateAudienceTexts,
} from '../../../db/schema/index.ts';
import { audienceScope } from '../status/incident-scope.ts';
import {
  readComponents,
  readHistory,
  readIncident,
  readMaintenance,
  readPage,
  readRecentIncidents,
  readUnresolvedIncidents,
} from '../status/read-status.ts';
import { HISTORY_PAGE_SIZE } from '../status/reader.ts';
import { pageOf, pageWindow, parsePageParam } from '../shared/paging.ts';
import { worstComponentStatus } from '../status/rollup.ts';
import {
  type ComponentJson,
  type IncidentJson,
  type IncidentUpdateJson,
  type PageJson,
  rollUp,
} from '../status/statuspage-json.ts';
import type { AudienceRow } from './manage-audiences.ts';

/** An update as a named audience reads it: its own text, and the internal note for staff. */
export interface AudienceUpdateJson extends IncidentUpdateJson {
  internal_note?: string | null;
}
export interface AudienceIncidentJson extends Omit<IncidentJson, 'incident_updates'> {
  incident_updates: AudienceUpdateJson[];
  /** For chosen audiences only: never on a public surface. */
  audience_only?: boolean;
}

/**
 * The status reader for one named audience. It reads through the same guarded path as the
 * public reader (so it can never show drafts), with the audience's scope: the public incidents
 * touching its components and the incidents chosen for it (every audience-only one for a staff
 * audience). It narrows components to the audience's, adds the component impact of its
 * audience-only incidents (which never moves the public status), puts the audience's own text
 * in place of an update's public text where one was written, and adds internal notes only for
 * an audience that sees internal text. It lives outside domain/status so the public graph
 * never imports a reader of internal columns.
 */
export function createAudienceReader(db: DbOrTx, fallbackUrl: string, audience: AudienceRow) {
  const scope = audienceScope(audience);
  const visible = (all: ComponentJson[]) => {
    if (!audience.componentIds) return all;
    const ids = new Set(audience.componentIds);
    // A group shows when one of its children does.
    for (const c of all) if (c.group_id && ids.has(c.id)) ids.add(c.group_id);
    return all.filter((c) => ids.has(c.id));
  };
  const base = async () => {
    const p = await readPage(db, fallbackUrl);
    const page: PageJson = { ...p, url: `${p.url}/a/${audience.slug}` };
    const all = await readComponents(db, p);
    return { page, all };
  };

  /** The audience-only incidents among `ids`. */
  async function audienceOnly(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db
      .select({ id: incidents.id })
      .from(incidents)
      .where(and(inArray(incidents.id, ids), eq(incidents.audienceOnly, true)));
    return new Set(rows.map((r) => r.id));
  }

  /**
   * The components as this audience sees them: the public status, made worse by what its
   * unresolved audience-only incidents say of them; a group is its worst child.
   */
  async function withOwnImpact(all: ComponentJson[], unresolved: IncidentJson[]) {
    const own = [...(await audienceOnly(unresolved.map((i) => i.id)))];
    if (own.length === 0) return all;
    const links = await db
      .select({ id: incidentComponents.componentId, status: incidentComponents.status })
      .from(incidentComponents)
      .where(inArray(incidentComponents.incidentId, own));
    const next = all.map((c) => {
      const said = links.filter((l) => l.id === c.id).map((l) => l.status);
      return said.length && !c.group
        ? { ...c, status: worstComponentStatus([c.status, ...said]) }
        : c;
    });
    return next.map((c) =>
      c.group
        ? {
            ...c,
            status: worstComponentStatus(
              next.filter((k) => k.group_id === c.id).map((k) => k.status),
            ),
          }
        : c,
    );
  }

  async function tailor(list: IncidentJson[], all: ComponentJson[]) {
    const shown = visible(all);
    const ids = new Set(shown.map((c) => c.id));
    const byId = new Map(all.map((c) => [c.id, c]));
    const updateIds = list.flatMap((i) => i.incident_updates.map((u) => u.id));
    const own = await audienceOnly(list.map((i) => i.id));
    const texts = new Map<string, string>();
    const notes = new Map<string, string | null>();
    if (updateIds.length) {
      const rows = await db
        .select()
        .from(updateAudienceTexts)
        .where(inArray(updateAudienceTexts.updateId, updateIds));
      for (const r of rows) if (r.audienceId === audience.id) texts.set(r.updateId, r.body);
      if (audience.seesInternal) {
        const n = await db
          .select({ id: incidentUpdates.id, note: incidentUpdates.internalNote })
          .from(incidentUpdates)
          .where(inArray(incidentUpdates.id, updateIds));
        for (const r of n) notes.set(r.id, r.note);
      }
    }
    return list.map((i): AudienceIncidentJson => ({
      ...i,
      components: i.components.filter((c) => ids.has(c.id)).map((c) => byId.get(c.id) ?? c),
      incident_updates: i.incident_updates.map((u) => ({
        ...u,
        body: texts.get(u.id) ?? u.body,
        // The PM's translations are of the public text: an audience's own text replaces them.
        translations: texts.has(u.id) ? null : u.translations,
        affected_components: u.affected_components?.filter((a) => ids.has(a.code)) ?? null,
        ...(audience.seesInternal ? { internal_note: notes.get(u.id) ?? null } : {}),
      })),
      ...(own.has(i.id) ? { audience_only: true } : {}),
    }));
  }

  /** Unresolved incidents and the components as this audience sees them. */
  async function current() {
    const { page, all: publicAll } = await base();
    const unresolved = await readUnresolvedIncidents(db, page, publicAll, scope);
    const all = await withOwnImpact(publicAll, unresolved);
    return { page, all, unresolved };
  }

  return {
    audience,
    async summary() {
      const { page, all, unresolved } = await current();
      const components = visible(all);
      const incidents_ = await tailor(unresolved, all);
      return { page, status: rollUp(components, incidents_), components, incidents: incidents_ };
    },
    async incidents() {
      const { page, all } = await current();
      return {
        page,
        incidents: await tailor(await readRecentIncidents(db, page, all, scope), all),
      };
    },
    async feedEntries() {
      const { page, all } = await current();
      const { entries } = await readHistory(db, page, all, scope, { offset: 0, limit: 25 });
      return { page, entries: await tailor(entries, all) };
    },
    /**
     * One incident or maintenance the audience sees, as its page shows it (its own text,
     * internal notes for staff); null when it does not see it, so another audience's incident
     * answers like an unknown id.
     */
    async entry(id: string) {
      const { page, all } = await current();
      const found =
        (await readIncident(db, page, all, scope, id)) ??
        (await readMaintenance(db, page, all, scope, id));
      const [entry] = found ? await tailor([found], all) : [];
      return { page, entry: entry ?? null };
    },
    /** One page of the audience's history, paged like the public one. */
    async history(requested: string | null) {
      const { page, all } = await current();
      const asked = parsePageParam(requested);
      const { entries, total } = await readHistory(db, page, all, scope, {
        ...pageWindow(asked, HISTORY_PAGE_SIZE),
        pastOnly: true,
      });
      return {
        page,
        entries: await tailor(entries, all),
        ...pageOf(asked, total, HISTORY_PAGE_SIZE),
      };
    },
  };
}
export type AudienceReader = ReturnType<typeof createAudienceReader>;
