import type { DbOrTx } from '../../../db/client.ts';
import { eq } from 'drizzle-orm';
import { broadcasts, incidentComponents, incidents } from '../../../db/schema/index.ts';
import { incidentSubject } from '../shared/subjects.ts';
import { newId } from '../shared/ids.ts';
import type { MessageIdConfig } from '../outbox/message-id.ts';
import { countRecipients, queueDeliveries } from './queue-deliveries.ts';
import {
  type AudienceAwareList,
  type IncidentForLists,
  listReading,
  readAudienceAwareLists,
  chosenAudienceIds,
} from '../lists/list-reading.ts';
import { queueIncidentWebhooks } from '../webhooks/queue-webhook-deliveries.ts';
import { queueFollowerMails } from '../subscribers/queue-follower-mails.ts';

export type BroadcastKind = 'incident_update' | 'incident_resolved';

export interface PublishedUpdateRef {
  updateId: string;
  status: string;
  notify: boolean;
  /**
   * The update is the team's own (a priority change and its reason): internal readers only. No
   * follower hears it (following is offered on the public page) and no public channel.
   */
  internalOnly: boolean;
  /** The incident as this update leaves it (after a priority change, the new priority). */
  incident: {
    id: string;
    title: string;
    isDrill: boolean;
    priority: number;
    audienceOnly: boolean;
  };
  /** Every component the incident affects, including those this update just added. */
  componentIds: string[];
}

/**
 * Creates the broadcast for a published update and one pending delivery per recipient, in the
 * caller's transaction (the one that publishes the update), so nothing is lost or doubled.
 *
 * Recipients: confirmed subscribers of every list that may receive the incident (`listReading`:
 * its priority, drills to drill lists only, an audience's lists only for what the audience
 * sees); subscribers who chose components get it when one of the incident's components (or its
 * group) is among them. An incident that names no component goes to everyone, since nobody can
 * tell what it spares.
 *
 * Deliveries are written with one INSERT ... SELECT: 100,000 recipients never pass through
 * this process's memory.
 */
export async function enqueueUpdateBroadcast(
  tx: DbOrTx,
  config: MessageIdConfig,
  u: PublishedUpdateRef,
  now: Date,
): Promise<{ broadcastId: string; total: number } | null> {
  const { incident } = u;
  const priority = incident.priority;
  // Webhooks and followers of this incident (by webhook or email) get every public update,
  // notified or not. An incident for chosen audiences only reaches no webhook or chat channel
  // (they carry public text to places Herald cannot tell apart) and can have no followers
  // (following is offered on its public page only).
  if (!incident.audienceOnly)
    await queueIncidentWebhooks(
      tx,
      {
        updateId: u.updateId,
        incidentId: incident.id,
        status: u.status,
        priority,
        notify: u.notify,
        internalOnly: u.internalOnly,
      },
      now,
    );
  if (!incident.audienceOnly && !u.internalOnly)
    await queueFollowerMails(
      tx,
      config,
      {
        updateId: u.updateId,
        incidentId: incident.id,
        status: u.status,
        isDrill: incident.isDrill,
      },
      now,
    );
  if (!u.notify) return null;
  const listIds = (
    await updateBroadcastLists(tx, { ...incident, componentIds: u.componentIds })
  ).map((l) => l.id);
  if (listIds.length === 0) return null;

  const kind: BroadcastKind = u.status === 'resolved' ? 'incident_resolved' : 'incident_update';
  const broadcastId = newId();
  await tx.insert(broadcasts).values({
    id: broadcastId,
    kind,
    incidentId: incident.id,
    updateId: u.updateId,
    subject: incidentSubject(kind === 'incident_resolved' ? 'resolved' : 'update', {
      priority,
      title: incident.title,
      isDrill: incident.isDrill,
    }),
    isDrill: incident.isDrill,
    total: 0,
    createdAt: now,
  });

  const total = await queueDeliveries(
    tx,
    config,
    { broadcastId, listIds, componentIds: u.componentIds },
    now,
  );
  return { broadcastId, total };
}

/**
 * The lists an update of this incident goes to: those that may receive it (`listReading`: its
 * priority, drill lists for a drill, an audience's lists when the audience sees it).
 */
export async function updateBroadcastLists(
  db: DbOrTx,
  incident: IncidentForLists & { id?: string },
): Promise<AudienceAwareList[]> {
  // An incident for chosen audiences only reaches those audiences' lists: read which they are.
  const chosen =
    incident.audienceOnly && incident.id && !incident.chosenAudienceIds
      ? await chosenAudienceIds(db, incident.id)
      : incident.chosenAudienceIds;
  return listsReaching(await readAudienceAwareLists(db), {
    ...incident,
    chosenAudienceIds: chosen,
  });
}

/** Of `lists`, those an update reading like this may go to (`listReading`). */
function listsReaching(lists: AudienceAwareList[], incident: IncidentForLists) {
  return lists.filter((l) => listReading(l, incident) !== null);
}

/** Who an update of this incident at this priority goes to: the lists and the components. */
async function updateAudience(
  tx: DbOrTx,
  incident: { id: string; isDrill: boolean; audienceOnly: boolean },
  priority: number,
): Promise<{ listIds: string[]; componentIds: string[] }> {
  const affected = await tx
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, incident.id));
  const componentIds = affected.map((a) => a.id);
  return {
    listIds: (
      await updateBroadcastLists(tx, {
        isDrill: incident.isDrill,
        priority,
        componentIds,
        audienceOnly: incident.audienceOnly,
        id: incident.id,
      })
    ).map((l) => l.id),
    componentIds,
  };
}

/**
 * Counts how many people a new (not drill) incident would mail, if it notifies, by priority: for
 * everyone, or (given their ids) for chosen audiences only, which reaches their lists, internal
 * lists and staff audiences' lists. People, not subscriptions: each set of lists is counted by
 * the rule the broadcast queues with (an address on several of them once), so the figures are
 * not sums of the lists' own. The lists are read once, and each distinct set of them counted
 * once, however many choices reach it.
 */
export async function newIncidentRecipientCounter(db: DbOrTx) {
  const lists = await readAudienceAwareLists(db);
  const counted = new Map<string, Promise<number>>();
  return (priority: number, chosenAudienceIds?: string[]): Promise<number> => {
    const listIds = listsReaching(lists, {
      isDrill: false,
      priority,
      componentIds: [],
      ...(chosenAudienceIds ? { audienceOnly: true, chosenAudienceIds } : {}),
    })
      .map((l) => l.id)
      .sort();
    const key = listIds.join(',');
    let n = counted.get(key);
    if (!n) counted.set(key, (n = countRecipients(db, { listIds, componentIds: [] })));
    return n;
  };
}

/**
 * How many people a notifying update of this incident would mail right now (0 for an unknown
 * incident): shown beside the forms' notify choice and on the resolve confirmation.
 */
export async function countUpdateRecipients(db: DbOrTx, incidentId: string): Promise<number> {
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, incidentId));
  if (!incident) return 0;
  return countRecipients(db, await updateAudience(db, incident, incident.priority));
}
