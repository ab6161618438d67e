import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  incidentFollowers,
  incidents,
  incidentUpdates,
  webhooks,
} from '../../../db/schema/index.ts';
import { readAffectedComponents } from '../components/read-components.ts';
import { PUBLIC_SCOPE, selectIncidents } from '../status/incident-scope.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { hashToken } from './tokens.ts';

// Reads and writes of incident follows behind the pages list subscriptions already have
// (confirm, manage, unsubscribe): the same links reach either, and these find the follower
// when no list subscriber holds the token.

export type FollowerRow = typeof incidentFollowers.$inferSelect;
export interface FollowerWithIncident {
  f: FollowerRow;
  incident: { id: string; title: string; status: string };
}

/**
 * The incident a visitor asks to follow (by email or webhook): public (not for chosen audiences
 * only), not a drill (drills reach drill lists only) and not resolved (following ends at the
 * resolve).
 */
export async function loadFollowableIncident(tx: DbOrTx, incidentId: string) {
  // Following is for the public: an incident for chosen audiences only answers as unknown.
  const [incident] = await selectIncidents(
    tx,
    PUBLIC_SCOPE,
    and(eq(incidents.id, incidentId), isNotNull(incidents.publishedAt)),
  );
  if (!incident || incident.isDrill) throw new NotFoundError('incident', incidentId);
  if (incident.status === 'resolved')
    throw new ConflictError('This incident is resolved: there will be no more updates.').saying(
      'follow.resolved',
    );
  return incident;
}

/**
 * Who follows an incident now: confirmed email followers and active webhooks. They get every
 * published update until the resolve, whether or not the update notifies the lists, which is
 * what the admin needs to know beside the notify choice.
 */
export async function countIncidentFollowers(
  db: DbOrTx,
  incidentId: string,
): Promise<{ emails: number; webhooks: number }> {
  const [e] = await db
    .select({ n: sql<number>`count(*)` })
    .from(incidentFollowers)
    .where(
      and(
        eq(incidentFollowers.incidentId, incidentId),
        eq(incidentFollowers.state, 'confirmed'),
        isNull(incidentFollowers.endedAt),
      ),
    );
  const [w] = await db
    .select({ n: sql<number>`count(*)` })
    .from(webhooks)
    .where(and(eq(webhooks.incidentId, incidentId), eq(webhooks.state, 'active')));
  return { emails: Number(e?.n ?? 0), webhooks: Number(w?.n ?? 0) };
}

/** What confirmation and manage pages call the follow: `“Search is slow” updates`. */
export const followName = (title: string) => `“${title}” updates`;

async function followerWhere(db: DbOrTx, where: ReturnType<typeof eq>) {
  const [row] = await db
    .select({
      f: incidentFollowers,
      incident: { id: incidents.id, title: incidents.title, status: incidents.status },
    })
    .from(incidentFollowers)
    .innerJoin(incidents, eq(incidents.id, incidentFollowers.incidentId))
    .where(where);
  return row ?? null;
}

export const followerByConfirmToken = (
  db: DbOrTx,
  token: string,
): Promise<FollowerWithIncident | null> =>
  followerWhere(db, eq(incidentFollowers.confirmTokenHash, hashToken(token)));

export const followerByManageToken = (
  db: DbOrTx,
  token: string,
): Promise<FollowerWithIncident | null> =>
  followerWhere(db, eq(incidentFollowers.manageTokenHash, hashToken(token)));

export const followerById = (db: DbOrTx, id: string): Promise<FollowerWithIncident | null> =>
  followerWhere(db, eq(incidentFollowers.id, id));

/** Confirms a pending follow (idempotent); refused once the incident has resolved. */
export async function confirmFollower(tx: DbOrTx, f: FollowerRow, now: Date): Promise<void> {
  await tx
    .update(incidentFollowers)
    .set({ state: 'confirmed', confirmedAt: now, unsubscribedAt: null, updatedAt: now })
    .where(eq(incidentFollowers.id, f.id));
}

/**
 * What leaving sets, for a list subscriber and an incident follower alike: the old
 * confirmation link is voided, so it cannot silently start the mail again.
 */
export const unsubscribedState = (now: Date) => ({
  state: 'unsubscribed' as const,
  unsubscribedAt: now,
  confirmTokenHash: null,
  confirmExpiresAt: null,
  updatedAt: now,
});

/** Stops a follow. */
export async function unsubscribeFollower(tx: DbOrTx, f: FollowerRow, now: Date): Promise<void> {
  if (f.state === 'unsubscribed') return;
  await tx
    .update(incidentFollowers)
    .set(unsubscribedState(now))
    .where(eq(incidentFollowers.id, f.id));
}

/**
 * Everything one follow_update email is made of, read at send time; null when gone or not
 * public.
 */
export async function readFollowUpdateSource(db: DbOrTx, followerId: string, updateId: string) {
  const [follower] = await db
    .select()
    .from(incidentFollowers)
    .where(eq(incidentFollowers.id, followerId));
  if (!follower) return null;
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, follower.incidentId));
  const [update] = await db.select().from(incidentUpdates).where(eq(incidentUpdates.id, updateId));
  if (!incident || !update || update.incidentId !== incident.id) return null;
  // A priority change is the team's entry, never a follower's (one queued before this rule).
  if (update.priorityTo !== null) return null;
  return {
    follower,
    incident,
    update: {
      status: update.status,
      body: update.body,
      translations: update.translations,
      nextUpdateDueAt: update.nextUpdateDueAt,
      priority: incident.priority,
    },
    affected: await readAffectedComponents(db, incident.id),
  };
}
