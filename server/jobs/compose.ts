import { eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import {
  broadcasts,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  lists,
  subscribers,
} from '../../db/schema/index.ts';
import { renderConfirmation } from '../../emails/confirmation.ts';
import {
  type IncidentEmailData,
  renderAllClear,
  renderIncidentUpdate,
} from '../../emails/incident-update.ts';
import type { RenderedEmail } from '../../emails/layout.ts';
import { renderWelcome } from '../../emails/welcome.ts';
import type { Config } from '../config.ts';
import type { OutgoingMail } from '../mailer.ts';
import { getSettings } from '../domain/settings/get-settings.ts';
import { formatClock, formatDay } from '../domain/shared/time-format.ts';
import { componentStatusLabels, statusLabel } from '../domain/status/labels.ts';
import {
  confirmToken,
  confirmUrl,
  linkKey,
  manageToken,
  subscriberLinks,
} from '../domain/subscribers/tokens.ts';
import type { OutboxPayload } from '../domain/broadcasts/enqueue-message.ts';
import type { ListRow } from '../domain/lists/list-rules.ts';
import { composePromiseReminder } from './compose-promise-reminder.ts';
import { composeMaintenanceMail, loadMaintenanceBroadcastContext, type MaintenanceBroadcastContext } from './compose-maintenance.ts';

// Turns queued rows into ready-to-send messages. Rendering happens at send time, from the
// database as it is then: an unsubscribed address is skipped, a confirmation carries the latest
// link. Everything here reads; the worker writes the outcome.

export interface PageContext {
  name: string;
  url: string;
  timeZone: string;
  host: string;
  key: string;
}

export async function loadPageContext(db: DbOrTx, config: Config): Promise<PageContext> {
  const s = await getSettings(db);
  const url = (s.publicUrl ?? config.publicUrl).replace(/\/+$/, '');
  return {
    name: s.pageName,
    url,
    timeZone: s.timeZone,
    host: new URL(url).hostname || 'localhost',
    key: await linkKey(db, config),
  };
}

/** What one broadcast's emails share; links and the internal note differ per recipient. */
export type BroadcastContext = IncidentBroadcastContext | MaintenanceBroadcastContext;

export interface IncidentBroadcastContext {
  kind: string;
  subject: string;
  data: Omit<IncidentEmailData, 'listName' | 'manageUrl' | 'unsubscribeUrl' | 'internalNote'>;
  internalNote: string | null;
}

export async function loadBroadcastContext(
  db: DbOrTx,
  page: PageContext,
  broadcastId: string,
  now: Date,
): Promise<BroadcastContext | null> {
  const [b] = await db.select().from(broadcasts).where(eq(broadcasts.id, broadcastId));
  if (b?.maintenanceId) return loadMaintenanceBroadcastContext(db, page, b);
  if (!b || !b.incidentId || !b.updateId) return null;
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, b.incidentId));
  const [update] = await db
    .select()
    .from(incidentUpdates)
    .where(eq(incidentUpdates.id, b.updateId));
  if (!incident || !update) return null;
  const affected = await db
    .select({ name: components.name, status: incidentComponents.status })
    .from(incidentComponents)
    .innerJoin(components, eq(components.id, incidentComponents.componentId))
    .where(eq(incidentComponents.incidentId, incident.id))
    .orderBy(incidentComponents.position);
  return {
    kind: b.kind,
    subject: b.subject,
    internalNote: update.internalNote,
    data: {
      pageName: page.name,
      priority: update.priorityTo ?? incident.priority,
      title: incident.title,
      isDrill: b.isDrill,
      statusLabel: statusLabel(update.status),
      affected: affected.map((a) => ({ name: a.name, status: componentStatusLabels[a.status] })),
      body: update.body,
      nextUpdateBy: update.nextUpdateDueAt
        ? formatClock(update.nextUpdateDueAt, page.timeZone, now)
        : null,
      incidentUrl: `${page.url}/incidents/${incident.id}`,
    },
  };
}

export interface Recipient {
  subscriberId: string;
  email: string;
  state: string;
  list: ListRow;
}

export async function loadRecipients(
  db: DbOrTx,
  subscriberIds: string[],
): Promise<Map<string, Recipient>> {
  const out = new Map<string, Recipient>();
  if (subscriberIds.length === 0) return out;
  const rows = await db
    .select({ id: subscribers.id, email: subscribers.email, state: subscribers.state, list: lists })
    .from(subscribers)
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(inArray(subscribers.id, subscriberIds));
  for (const r of rows)
    out.set(r.id, { subscriberId: r.id, email: r.email, state: r.state, list: r.list });
  return out;
}

function listHeaders(
  page: PageContext,
  list: ListRow,
  unsubscribeUrl: string,
): OutgoingMail['list'] {
  return { id: `${list.slug}.${page.host}`, name: `${page.name} ${list.name}`, unsubscribeUrl };
}

/** One recipient's copy of a broadcast: the internal note only for internal lists. */
export function composeBroadcastMail(
  page: PageContext,
  b: BroadcastContext,
  r: Recipient,
  messageId: string,
): OutgoingMail {
  const links = subscriberLinks(page.url, manageToken(page.key, r.subscriberId));
  if ('maintenance' in b) return composeMaintenanceMail(b, r, links, messageId, listHeaders(page, r.list, links.unsubscribeUrl));
  const data: IncidentEmailData = { ...b.data, listName: r.list.name, internalNote: r.list.isInternal ? b.internalNote : null, ...links };
  const rendered = b.kind === 'incident_resolved' ? renderAllClear(data) : renderIncidentUpdate(data);
  return {
    to: r.email,
    ...rendered,
    // The subject stored with the broadcast is what the admin saw in the preview and progress.
    subject: b.subject,
    messageId,
    list: listHeaders(page, r.list, links.unsubscribeUrl),
  };
}

export interface QueuedMessage {
  kind: string;
  toAddress: string;
  payload: unknown;
  messageId: string;
}

/** A single email from outbox_messages, or null when it no longer applies (skip it). */
export async function composeOutboxMail(db: DbOrTx, page: PageContext, m: QueuedMessage, now: Date = new Date()): Promise<OutgoingMail | null> {
  const payload = m.payload as OutboxPayload;
  if ('subject' in payload) {
    return {
      to: m.toAddress,
      subject: payload.subject,
      text: payload.text,
      html: payload.html,
      messageId: m.messageId,
    };
  }
  if ('incidentId' in payload) return composePromiseReminder(db, page, m.toAddress, payload, m.messageId, now);
  const r = (await loadRecipients(db, [payload.subscriberId])).get(payload.subscriberId);
  if (!r) return null;
  const links = subscriberLinks(page.url, manageToken(page.key, r.subscriberId));
  let rendered: RenderedEmail;
  if (m.kind === 'confirmation') {
    const [s] = await db.select().from(subscribers).where(eq(subscribers.id, r.subscriberId));
    if (!s || s.state !== 'pending' || !s.confirmExpiresAt) return null;
    rendered = renderConfirmation({
      pageName: page.name,
      listName: r.list.name,
      confirmUrl: confirmUrl(page.url, confirmToken(page.key, s.id, s.confirmExpiresAt)),
      expiresOn: formatDay(s.confirmExpiresAt, page.timeZone),
    });
  } else if (m.kind === 'welcome') {
    if (r.state !== 'confirmed') return null;
    const [s] = await db
      .select({ componentIds: subscribers.componentIds })
      .from(subscribers)
      .where(eq(subscribers.id, r.subscriberId));
    const ids = s?.componentIds ?? null;
    const names = ids
      ? (
          await db
            .select({ name: components.name })
            .from(components)
            .where(inArray(components.id, ids))
        ).map((c) => c.name)
      : null;
    rendered = renderWelcome({
      pageName: page.name,
      listName: r.list.name,
      pageUrl: page.url,
      components: names,
      ...links,
    });
  } else {
    return null;
  }
  return {
    to: r.email,
    ...rendered,
    messageId: m.messageId,
    list: listHeaders(page, r.list, links.unsubscribeUrl),
  };
}
