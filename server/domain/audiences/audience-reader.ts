import { inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { incidentUpdates, updateAudienceTexts } from '../../../db/schema/index.ts';
import {
  readComponents,
  readHistory,
  readPage,
  readRecentIncidents,
  readUnresolvedIncidents,
} from '../status/read-status.ts';
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
}

/**
 * The status reader for one named audience. It starts from the public read path (so it can
 * never show less than public text by mistake, nor drafts), narrows it to the audience's
 * components, puts the audience's own text in place of an update's public text where one was
 * written, and adds internal notes only for an audience that sees internal text. It lives
 * outside domain/status so the public graph never imports a reader of internal columns.
 */
export function createAudienceReader(db: DbOrTx, fallbackUrl: string, audience: AudienceRow) {
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
    return { page, all, components: visible(all) };
  };

  async function tailor(list: IncidentJson[], shown: ComponentJson[]) {
    const ids = new Set(shown.map((c) => c.id));
    const kept = list.filter(
      (i) => i.components.length === 0 || i.components.some((c) => ids.has(c.id)),
    );
    const updateIds = kept.flatMap((i) => i.incident_updates.map((u) => u.id));
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
    return kept.map((i): AudienceIncidentJson => ({
      ...i,
      components: i.components.filter((c) => ids.has(c.id)),
      incident_updates: i.incident_updates.map((u) => ({
        ...u,
        body: texts.get(u.id) ?? u.body,
        // The PM's translations are of the public text: an audience's own text replaces them.
        translations: texts.has(u.id) ? null : u.translations,
        affected_components: u.affected_components?.filter((a) => ids.has(a.code)) ?? null,
        ...(audience.seesInternal ? { internal_note: notes.get(u.id) ?? null } : {}),
      })),
    }));
  }

  return {
    audience,
    async summary() {
      const { page, all, components } = await base();
      const unresolved = await tailor(await readUnresolvedIncidents(db, page, all), components);
      return {
        page,
        status: rollUp(components, unresolved),
        components,
        incidents: unresolved,
      };
    },
    async incidents() {
      const { page, all, components } = await base();
      return {
        page,
        incidents: await tailor(await readRecentIncidents(db, page, all), components),
      };
    },
    async feedEntries() {
      const { page, all, components } = await base();
      const { entries } = await readHistory(db, page, all, { offset: 0, limit: 25 });
      return { page, entries: await tailor(entries, components) };
    },
  };
}
export type AudienceReader = ReturnType<typeof createAudienceReader>;
