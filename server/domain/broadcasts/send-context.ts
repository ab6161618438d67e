import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import type { ComponentStatus, IncidentStatus } from '../../../db/schema/enums.ts';
import {
  broadcasts,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  maintenanceComponents,
  maintenances,
  maintenanceUpdates,
  settings,
  subscribers,
  updateAudienceTexts,
} from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { readIncidentAudiences } from '../audiences/incident-audiences.ts';
import { readAffectedComponents } from '../components/read-components.ts';
import {
  AUDIENCE_SSO_SOURCE,
  type AudienceAwareList,
  type AudienceHosts,
  readAudienceAwareLists,
} from '../lists/list-reading.ts';
import { readRecordForBroadcast, type RecordForMail } from '../record/record-views.ts';
import { linkKey } from '../subscribers/tokens.ts';
import { isIncidentNoticeKind } from './enqueue-incident-notice.ts';
import { type IncidentNoticeSource, readIncidentNoticeSource } from './incident-notice-source.ts';
import { messageIdHost } from '../outbox/message-id.ts';
import { readStoredSupportScript } from '../support/support-script.ts';
import { DEFAULT_LANGUAGE, type Language, parseLanguage } from '../../i18n/languages.ts';

// What the mail composer reads at send time, from the database as it is then: an
// unsubscribed address is skipped, a confirmation carries the latest link, an extended window
// shows its new end. Reads only; the worker records outcomes through outbox-store.ts.

/** The page as emails name and link it. */
export interface PageContext {
  name: string;
  url: string;
  timeZone: string;
  /** The host part of Message-IDs and List-Ids. */
  host: string;
  /** The HMAC key of subscriber links. */
  key: string;
  /** The page's default language: mail for someone whose language is not known is in it. */
  language: Language;
  /** AUDIENCE_HOSTS: an audience's list links to its pages on its own host name. */
  audienceHosts: AudienceHosts;
}

export async function readPageContext(
  db: DbOrTx,
  config: Pick<Config, 'publicUrl' | 'secretKey'> & Partial<Pick<Config, 'audienceHosts'>>,
): Promise<PageContext> {
  // The five columns emails use: every claim reads this, and the whole settings row through the
  // relational query builder cost 0.45 ms of CPU each time (this is 0.03 ms).
  const [s] = await db.all<{
    name: string;
    publicUrl: string | null;
    timeZone: string;
    language: string;
    linkSecret: string | null;
  }>(sql`
      SELECT page_name AS name, public_url AS publicUrl, time_zone AS timeZone,
             default_language AS language, link_secret AS linkSecret
      FROM ${settings} WHERE id = 1`);
  if (!s) throw new Error('settings row missing: the database was not initialised');
  const url = (s.publicUrl ?? config.publicUrl).replace(/\/+$/, '');
  return {
    name: s.name,
    url,
    timeZone: s.timeZone,
    host: messageIdHost(url),
    // linkKey creates the key when there is none yet (the first email of a fresh database).
    key: config.secretKey || s.linkSecret || (await linkKey(db, config)),
    language: parseLanguage(s.language) ?? DEFAULT_LANGUAGE,
    audienceHosts: config.audienceHosts ?? new Map(),
  };
}

export interface Recipient {
  subscriberId: string;
  email: string;
  state: string;
  /** Their list, with the audience it belongs to (whose membership is checked at send time). */
  list: AudienceAwareList;
  /** They joined an audience's list after signing in through the company's provider. */
  viaCompanyIdp: boolean;
  confirmExpiresAt: Date | null;
  componentIds: string[] | null;
  /** The language they subscribed in: their mail is rendered in it. */
  language: Language;
}

export async function readRecipients(
  db: DbOrTx,
  subscriberIds: string[],
): Promise<Map<string, Recipient>> {
  const out = new Map<string, Recipient>();
  if (subscriberIds.length === 0) return out;
  // Only the columns a send needs, each list once, the ids as one bound JSON array, and the rows
  // as one JSON text: this runs for every claim of a broadcast (hundreds of ids), and every
  // column of every row the driver returns, every bound parameter and the query builder's
  // mapping cost CPU per recipient.
  const [found] = await db.all<{ rows: string }>(sql`
      SELECT json_group_array(json_array(id, email, state, list_id, confirm_expires_at,
                                         component_ids, language, source)) AS rows
      FROM ${subscribers} WHERE id IN (SELECT value FROM json_each(${JSON.stringify(subscriberIds)}))`);
  const rows = (
    JSON.parse(found?.rows ?? '[]') as [
      string,
      string,
      string,
      string,
      number | null,
      string | null,
      string,
      string,
    ][]
  ).map(([id, email, state, listId, confirmExpiresAt, componentIds, language, source]) => ({
    id,
    email,
    state,
    listId,
    language,
    source,
    confirmExpiresAt: confirmExpiresAt === null ? null : new Date(Number(confirmExpiresAt)),
    componentIds: componentIds === null ? null : (JSON.parse(componentIds) as string[] | null),
  }));
  const listIds = [...new Set(rows.map((r) => r.listId))];
  const listRows = await readAudienceAwareLists(db, listIds);
  const byId = new Map(listRows.map((l) => [l.id, l]));
  for (const s of rows) {
    const list = byId.get(s.listId);
    if (!list) continue;
    out.set(s.id, {
      subscriberId: s.id,
      email: s.email,
      state: s.state,
      list,
      viaCompanyIdp: s.source === AUDIENCE_SSO_SOURCE,
      confirmExpiresAt: s.confirmExpiresAt,
      componentIds: s.componentIds,
      language: parseLanguage(s.language) ?? DEFAULT_LANGUAGE,
    });
  }
  return out;
}

export type BroadcastRow = typeof broadcasts.$inferSelect;

/** Everything one incident broadcast's emails are made of. */
export interface IncidentBroadcastSource {
  type: 'incident';
  broadcast: BroadcastRow;
  incident: typeof incidents.$inferSelect;
  update: {
    status: IncidentStatus;
    body: string;
    /** The PM's translations of `body` by language, if any. */
    translations: Record<string, string> | null;
    internalNote: string | null;
    nextUpdateDueAt: Date | null;
    priority: number;
    /** The PM's text for named audiences (audience id to text), read by their lists only. */
    audienceTexts: ReadonlyMap<string, string>;
  };
  affected: { name: string; status: ComponentStatus }[];
  /** For internal lists only: what support and sales say; null until edited (the template). */
  supportScript: string | null;
  /** For internal lists only: the audiences an audience-only incident was chosen for (slugs). */
  audienceSlugs: readonly string[];
  /** Internal lists only: changed facts and open action items (see readRecordForBroadcast). */
  record: RecordForMail | null;
}

/** Everything one maintenance notice's emails are made of. */
export interface MaintenanceBroadcastSource {
  type: 'maintenance';
  broadcast: BroadcastRow;
  maintenance: typeof maintenances.$inferSelect;
  componentNames: string[];
  /** The window's description, or the body of the step the notice announces. */
  body: string;
}

export type BroadcastSource =
  IncidentBroadcastSource | MaintenanceBroadcastSource | IncidentNoticeSource;

const correctionKinds = new Set(['maintenance_cancelled', 'maintenance_moved']);

const noticeStep: Record<string, 'in_progress' | 'completed'> = {
  maintenance_started: 'in_progress',
  maintenance_completed: 'completed',
};

/**
 * A broadcast as it is now, or null when what it was about is gone (its deliveries skip).
 * `staff: false` leaves out what only internal lists read (the support script and the record,
 * a third of this read's cost), for a claim with no recipient on such a list.
 */
export async function readBroadcastSource(
  db: DbOrTx,
  broadcastId: string,
  { staff = true }: { staff?: boolean } = {},
): Promise<BroadcastSource | null> {
  const [b] = await db.select().from(broadcasts).where(eq(broadcasts.id, broadcastId));
  if (!b) return null;
  if (b.maintenanceId) {
    const [m] = await db.select().from(maintenances).where(eq(maintenances.id, b.maintenanceId));
    if (!m) return null;
    const names = await db
      .select({ name: components.name })
      .from(maintenanceComponents)
      .innerJoin(components, eq(components.id, maintenanceComponents.componentId))
      .where(eq(maintenanceComponents.maintenanceId, m.id))
      .orderBy(asc(maintenanceComponents.position));
    let body = m.description;
    const step = noticeStep[b.kind];
    if (b.updateId && correctionKinds.has(b.kind)) {
      // A cancellation or move tells its own step's words (a window may move more than once).
      const [u] = await db
        .select({ body: maintenanceUpdates.body })
        .from(maintenanceUpdates)
        .where(eq(maintenanceUpdates.id, b.updateId));
      body = u?.body ?? body;
    } else if (step) {
      const updates = await db
        .select()
        .from(maintenanceUpdates)
        .where(eq(maintenanceUpdates.maintenanceId, m.id));
      body = updates.find((u) => u.status === step && u.statusChanged)?.body ?? body;
    }
    return {
      type: 'maintenance',
      broadcast: b,
      maintenance: m,
      componentNames: names.map((n) => n.name),
      body,
    };
  }
  if (isIncidentNoticeKind(b.kind)) return readIncidentNoticeSource(db, { ...b, kind: b.kind });
  if (!b.incidentId || !b.updateId) return null;
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, b.incidentId));
  const [update] = await db
    .select()
    .from(incidentUpdates)
    .where(eq(incidentUpdates.id, b.updateId));
  if (!incident || !update) return null;
  const affected = await readAffectedComponents(db, incident.id);
  const audienceTexts = await db
    .select({ audienceId: updateAudienceTexts.audienceId, body: updateAudienceTexts.body })
    .from(updateAudienceTexts)
    .where(eq(updateAudienceTexts.updateId, update.id));
  return {
    type: 'incident',
    broadcast: b,
    incident,
    update: {
      status: update.status,
      body: update.body,
      translations: update.translations ?? null,
      internalNote: update.internalNote,
      nextUpdateDueAt: update.nextUpdateDueAt,
      priority: update.priorityTo ?? incident.priority,
      audienceTexts: new Map(audienceTexts.map((t) => [t.audienceId, t.body])),
    },
    affected,
    supportScript: staff ? await readStoredSupportScript(db, incident.id) : null,
    // The template's link to the page customers are sent to depends on them.
    audienceSlugs:
      staff && incident.audienceOnly
        ? ((await readIncidentAudiences(db, [incident.id])).get(incident.id) ?? []).map(
            (a) => a.slug,
          )
        : [],
    record: staff ? await readRecordForBroadcast(db, b) : null,
  };
}

export async function readIncident(db: DbOrTx, id: string) {
  const [inc] = await db.select().from(incidents).where(eq(incidents.id, id));
  return inc ?? null;
}
