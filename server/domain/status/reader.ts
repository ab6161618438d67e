import type { DbOrTx } from '../../../db/client.ts';
import { getSettings } from '../settings/get-settings.ts';
import { PUBLIC_SCOPE } from './incident-scope.ts';
import {
  type MaintenanceSelection,
  readComponents,
  readHistory,
  readIncident,
  readMaintenance,
  readMaintenances,
  readPage,
  readRecentIncidents,
  readUnresolvedIncidents,
} from './read-status.ts';
import {
  type ComponentJson,
  type IncidentJson,
  type MaintenanceJson,
  type PageJson,
  rollUp,
  type StatusJson,
} from './statuspage-json.ts';
import { switchMaintenanceJson } from './switch-json.ts';
import { pageOf, pageWindow, parsePageParam } from '../shared/paging.ts';
import { DEFAULT_LANGUAGE, type Language, parseLanguage } from '../../i18n/languages.ts';

export interface ComponentGroupView {
  group: ComponentJson | null;
  components: ComponentJson[];
}

export interface MaintenanceSwitch {
  active: boolean;
  message: string | null;
  since: string | null;
  until: string | null;
}

export interface HomeView {
  page: PageJson;
  status: StatusJson;
  groups: ComponentGroupView[];
  incidents: IncidentJson[];
  maintenances: MaintenanceJson[];
  switch: MaintenanceSwitch;
}

export const HISTORY_PAGE_SIZE = 20;

/**
 * Herald's read services, handed to routes and (through `locals`) to the Astro pages, so
 * every surface reads the same data the same way.
 */
export function createStatusReader(
  db: DbOrTx,
  fallbackUrl: string,
  changeCounter: () => number | Promise<number>,
) {
  const page = () => readPage(db, fallbackUrl);
  const base = async () => {
    const p = await page();
    return { page: p, components: await readComponents(db, p) };
  };
  const readSwitch = async (): Promise<MaintenanceSwitch> => {
    const s = await getSettings(db);
    if (!s.maintenanceActive) return { active: false, message: null, since: null, until: null };
    return {
      active: true,
      message: s.maintenanceMessage,
      since: s.maintenanceSince?.toISOString() ?? null,
      until: s.maintenanceUntil?.toISOString() ?? null,
    };
  };
  // While the switch is on it is an in-progress maintenance in the JSON, first in the list.
  const withSwitch = (p: PageJson, sw: MaintenanceSwitch, list: MaintenanceJson[]) =>
    sw.active ? [switchMaintenanceJson(p, sw), ...list] : list;

  return {
    changeCounter,
    page,
    /** The page's default language: for readers who asked for none Herald speaks. */
    async defaultLanguage(): Promise<Language> {
      return parseLanguage((await getSettings(db)).defaultLanguage) ?? DEFAULT_LANGUAGE;
    },

    async summary() {
      const { page: p, components } = await base();
      const incidents = await readUnresolvedIncidents(db, p, components, PUBLIC_SCOPE);
      const sw = await readSwitch();
      const scheduled_maintenances = withSwitch(
        p,
        sw,
        await readMaintenances(db, p, components, 'current'),
      );
      return {
        page: p,
        status: rollUp(components, incidents, sw.active),
        components,
        incidents,
        scheduled_maintenances,
      };
    },
    async status() {
      const { page: p, components } = await base();
      return {
        page: p,
        status: rollUp(
          components,
          await readUnresolvedIncidents(db, p, components, PUBLIC_SCOPE),
          (await readSwitch()).active,
        ),
      };
    },
    async components() {
      const { page: p, components } = await base();
      return { page: p, components };
    },
    async incidents(which: 'recent' | 'unresolved') {
      const { page: p, components } = await base();
      const incidents =
        which === 'recent'
          ? await readRecentIncidents(db, p, components, PUBLIC_SCOPE)
          : await readUnresolvedIncidents(db, p, components, PUBLIC_SCOPE);
      return { page: p, incidents };
    },
    async maintenances(which: Exclude<MaintenanceSelection, 'current'>) {
      const { page: p, components } = await base();
      const list = await readMaintenances(db, p, components, which);
      return {
        page: p,
        scheduled_maintenances: which === 'active' ? withSwitch(p, await readSwitch(), list) : list,
      };
    },

    /** Everything the public home page shows. */
    async home(): Promise<HomeView> {
      const { page: p, components } = await base();
      const incidents = await readUnresolvedIncidents(db, p, components, PUBLIC_SCOPE);
      const maintenances = (await readMaintenances(db, p, components, 'current')).reverse();
      const groups: ComponentGroupView[] = [];
      for (const c of components) {
        if (c.group) groups.push({ group: c, components: [] });
        else if (c.group_id) groups.find((g) => g.group?.id === c.group_id)?.components.push(c);
        else {
          const last = groups.at(-1);
          if (last && last.group === null) last.components.push(c);
          else groups.push({ group: null, components: [c] });
        }
      }
      // only_show_if_degraded components are hidden while operational.
      for (const g of groups)
        g.components = g.components.filter(
          (c) => !c.only_show_if_degraded || c.status !== 'operational',
        );
      const sw = await readSwitch();
      return {
        page: p,
        status: rollUp(components, incidents, sw.active),
        groups: groups.filter((g) => g.components.length > 0),
        incidents,
        maintenances,
        switch: sw,
      };
    },

    /** An incident or a maintenance by id, or null. */
    async entry(
      id: string,
    ): Promise<{ page: PageJson; entry: IncidentJson | MaintenanceJson | null }> {
      const { page: p, components } = await base();
      const entry =
        (await readIncident(db, p, components, PUBLIC_SCOPE, id)) ??
        (await readMaintenance(db, p, components, PUBLIC_SCOPE, id));
      return { page: p, entry };
    },

    /** One page of the history, as `?page=` asked for it (see PageOf for what it answers). */
    async history(requested: string | null) {
      const { page: p, components } = await base();
      const asked = parsePageParam(requested);
      const { entries, total } = await readHistory(db, p, components, PUBLIC_SCOPE, {
        ...pageWindow(asked, HISTORY_PAGE_SIZE),
        pastOnly: true,
      });
      return { page: p, entries, ...pageOf(asked, total, HISTORY_PAGE_SIZE) };
    },

    /** The feeds' entries: about the 25 most recent incidents and maintenances. */
    async feedEntries() {
      const { page: p, components } = await base();
      const { entries } = await readHistory(db, p, components, PUBLIC_SCOPE, {
        offset: 0,
        limit: 25,
      });
      return { page: p, entries };
    },

    async maintenancePage() {
      const { page: p, components } = await base();
      const active = await readMaintenances(db, p, components, 'active');
      const upcoming = (await readMaintenances(db, p, components, 'upcoming')).reverse();
      // The page must not call the product healthy during an incident.
      const incidents = await readUnresolvedIncidents(db, p, components, PUBLIC_SCOPE);
      return { page: p, active, upcoming, incidents, switch: await readSwitch() };
    },

    maintenanceSwitch: readSwitch,
  };
}

export type StatusReader = ReturnType<typeof createStatusReader>;
