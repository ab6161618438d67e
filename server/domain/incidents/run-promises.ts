import { and, eq, isNotNull, isNull, lte, ne, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { incidents } from '../../../db/schema/index.ts';
import { enqueueMessageToEach } from '../outbox/enqueue-message.ts';
import { systemActor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import {
  DEFAULT_PROMISE_MINUTES,
  defaultPromiseMinutes,
  holdingBody,
  holdingTranslations,
  isBroadcastPriority,
  readPromiseDefaults,
  PROMISE_GRACE_MS,
  REMINDER_LEAD_MS,
} from './promise.ts';
import { writePublishedUpdate } from './write-update.ts';
import { readKeeperAddresses } from '../users/on-duty.ts';

export function holdingUrl(base: string, incidentId: string): string {
  return `${base}/admin/incidents/${incidentId}/holding`;
}

/** The promises of open, published incidents that fall due by `by`, narrowed by `unhandled`. */
function promisesDue(db: DbOrTx, by: Date, unhandled: SQL) {
  return db
    .select({ id: incidents.id, dueAt: incidents.nextUpdateDueAt, priority: incidents.priority })
    .from(incidents)
    .where(
      and(
        ne(incidents.status, 'resolved'),
        isNotNull(incidents.publishedAt),
        unhandled,
        lte(incidents.nextUpdateDueAt, by),
      ),
    );
}

/**
 * Claims one promise as it was read, with a conditional UPDATE: still open, still due then and
 * still `unhandled`. Null when another process, a new promise or the all-clear came first.
 */
async function claimPromise(
  tx: DbOrTx,
  promise: { id: string; dueAt: Date },
  set: Partial<typeof incidents.$inferInsert>,
  unhandled: SQL,
) {
  const [inc] = await tx
    .update(incidents)
    .set(set)
    .where(
      and(
        eq(incidents.id, promise.id),
        unhandled,
        eq(incidents.nextUpdateDueAt, promise.dueAt),
        ne(incidents.status, 'resolved'),
      ),
    )
    .returning();
  return inc ?? null;
}

/** A reminder missed while Herald was down is still sent this long after the promise lapsed. */
export const LATE_REMINDER_MS = 60 * 60_000;

export interface ReminderResult {
  incidentId: string;
  sentTo: string | null;
}

/**
 * Five minutes before a promise lapses, the incident's owner (with no owner, the people on
 * duty; for a drill, its participants) gets one reminder with a link to the holding update; one missed while Herald was down
 * goes out when it is back, late. `reminder_sent_at` is claimed with a conditional UPDATE (and
 * cleared by every new promise), so each promise is reminded at most once across processes.
 */
export async function sendPromiseReminders(deps: DomainDeps): Promise<ReminderResult[]> {
  const now = deps.clock.now();
  const horizon = new Date(now.getTime() + REMINDER_LEAD_MS);
  const due = await promisesDue(deps.db, horizon, isNull(incidents.reminderSentAt));
  const out: ReminderResult[] = [];
  for (const { id, dueAt } of due) {
    if (!dueAt) continue;
    const r = await deps.db.transaction(async (tx) => {
      const inc = await claimPromise(
        tx,
        { id, dueAt },
        { reminderSentAt: now },
        isNull(incidents.reminderSentAt),
      );
      if (!inc) return null;
      // Already lapsed (Herald was down when it fell due, a deploy or a restart): the owner is
      // still told, once; the mail, rendered at send time, says the promise lapsed and how long
      // ago. Not past an hour: after a long outage of Herald itself, the dashboard's overdue
      // mark is the news, and a pile of stale reminders is not.
      if (now.getTime() - dueAt.getTime() > LATE_REMINDER_MS)
        return { incidentId: id, sentTo: null };
      // Nobody owns it (declared with a token, from an alert, by the demo): the people on
      // duty keep the promise, or every admin when nobody is on duty; a drill's participants
      // keep a drill's.
      const to = await readKeeperAddresses(tx, inc);
      if (to.length === 0) return { incidentId: id, sentTo: null };
      // Rendered at send time (`server/delivery/kinds/promise-reminder.ts`), which drops it if
      // the promise has been answered by then.
      await enqueueMessageToEach(
        tx,
        deps.config,
        {
          kind: 'promise_reminder',
          to,
          payload: { incidentId: inc.id, dueAt: dueAt.toISOString() },
        },
        now,
      );
      await recordAudit(tx, systemActor, now, {
        action: 'incident.promise_reminder',
        objectType: 'incident',
        objectId: inc.id,
        after: { to, dueAt },
      });
      return { incidentId: id, sentTo: to.join(', ') };
    });
    if (r) out.push(r);
  }
  return out;
}

/**
 * When a promise lapses on an incident with automatic holding updates on, Herald posts the
 * holding update itself (automatic = true), through the same publishing path as any update,
 * so it is broadcast like one. The lapsed promise is claimed by a conditional UPDATE that
 * moves it forward, so two processes cannot both post.
 */
export async function postLapsedHoldingUpdates(
  deps: DomainDeps,
): Promise<{ incidentId: string; updateId: string }[]> {
  const now = deps.clock.now();
  const lapsed = await promisesDue(deps.db, now, eq(incidents.autoHolding, true));
  const out: { incidentId: string; updateId: string }[] = [];
  const defaults = lapsed.length > 0 ? await readPromiseDefaults(deps.db) : null;
  for (const { id, dueAt, priority } of lapsed) {
    if (!dueAt || !defaults) continue;
    const minutes = defaultPromiseMinutes(defaults, priority) ?? DEFAULT_PROMISE_MINUTES;
    const nextDue = new Date(now.getTime() + minutes * 60_000);
    const r = await deps.db.transaction(async (tx) => {
      const inc = await claimPromise(
        tx,
        { id, dueAt },
        { nextUpdateDueAt: nextDue, updatedAt: now },
        eq(incidents.autoHolding, true),
      );
      if (!inc) return null;
      const body = holdingBody(inc.status, minutes);
      const updateId = await writePublishedUpdate(
        tx,
        deps.config,
        inc,
        {
          status: inc.status,
          statusChanged: false,
          body,
          translations: holdingTranslations(inc.status, minutes),
          internalNote: null,
          notify: isBroadcastPriority(inc.priority),
          nextUpdateDueAt: nextDue,
          authorId: null,
          components: [],
          automatic: true,
        },
        now,
      );
      await recordAudit(tx, systemActor, now, {
        action: 'incident.auto_holding',
        objectType: 'incident',
        objectId: inc.id,
        before: { nextUpdateDueAt: dueAt },
        after: { updateId, nextUpdateDueAt: nextDue, body },
      });
      await bumpChanges(tx, now);
      return { incidentId: inc.id, updateId };
    });
    if (r) out.push(r);
  }
  return out;
}

/**
 * A promise lapsed more than PROMISE_GRACE_MS ago: the public page says the next update is
 * late instead of showing a time in the past. The mark is claimed once per promise with a
 * conditional UPDATE and bumps the change counter, so every cached page and the edge drop the
 * old "Next update by" at that moment, without a timer in the cache.
 */
export async function markLatePromises(deps: DomainDeps): Promise<{ incidentId: string }[]> {
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - PROMISE_GRACE_MS);
  const lapsed = await promisesDue(deps.db, cutoff, isNull(incidents.promiseLateAt));
  const out: { incidentId: string }[] = [];
  for (const { id, dueAt } of lapsed) {
    if (!dueAt) continue;
    const marked = await deps.db.transaction(async (tx) => {
      const inc = await claimPromise(
        tx,
        { id, dueAt },
        { promiseLateAt: now },
        isNull(incidents.promiseLateAt),
      );
      if (!inc) return false;
      await bumpChanges(tx, now);
      return true;
    });
    if (marked) out.push({ incidentId: id });
  }
  return out;
}
