import { asc, eq } from 'drizzle-orm';
import { lists, subscribers } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { LinkNotValidError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { z } from 'zod';
import { tokenInput } from './inputs.ts';
import { hashToken } from './tokens.ts';
import {
  confirmFollower,
  followerByConfirmToken,
  type FollowerWithIncident,
  followName,
} from './incident-follows.ts';

const confirmInput = z.object({ token: tokenInput });

/** "Stakeholders", "Stakeholders and Customers", "A, B and C". */
/** The lists one sign-up joined (they share its token), each once, for the reader to join. */
export function uniqueNames(names: string[]): string[] {
  return [...new Set(names)];
}

export class LinkExpiredError extends LinkNotValidError {}

const NOT_VALID =
  'This confirmation link is not valid. A newer email may have replaced it: use the latest one, or subscribe again.';
const EXPIRED =
  'This confirmation link has expired (links work for 7 days). Subscribe again to get a new one.';

const ENDED =
  'This incident was resolved before the follow was confirmed: there will be no more updates.';

/** The incident a confirmation link follows, or null for a list subscription. */
export type FollowedIncident = { id: string; title: string } | null;

const followed = (row: FollowerWithIncident): FollowedIncident => ({
  id: row.incident.id,
  title: row.incident.title,
});

/** A pending follow whose link can no longer confirm it: expired, or the incident is over. */
function assertFollowConfirmable(row: FollowerWithIncident, now: Date) {
  if (row.f.state === 'confirmed') return;
  if (row.f.endedAt || row.incident.status === 'resolved')
    throw new LinkNotValidError(ENDED).saying('link.followEnded');
  if ((row.f.confirmExpiresAt?.getTime() ?? 0) <= now.getTime())
    throw new LinkExpiredError(EXPIRED).saying('link.confirmExpired');
}

/** What the confirmation page shows before the button is pressed (nothing changes on GET). */
export async function readConfirmation(deps: DomainDeps, raw: { token: string }) {
  const { token } = parseInput(confirmInput, raw);
  const rows = await deps.db
    .select({ s: subscribers, listName: lists.name })
    .from(subscribers)
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(eq(subscribers.confirmTokenHash, hashToken(token)))
    .orderBy(asc(lists.createdAt), asc(lists.name));
  const row = rows.find((r) => r.s.state === 'pending') ?? rows[0];
  if (!row) {
    const follow = await followerByConfirmToken(deps.db, token);
    if (!follow) throw new LinkNotValidError(NOT_VALID).saying('link.confirmNotValid');
    assertFollowConfirmable(follow, deps.clock.now());
    return {
      email: follow.f.email,
      listNames: [followName(follow.incident.title)],
      state: follow.f.state,
      incident: followed(follow),
    };
  }
  const expired =
    row.s.state === 'pending' &&
    (row.s.confirmExpiresAt?.getTime() ?? 0) <= deps.clock.now().getTime();
  if (expired) throw new LinkExpiredError(EXPIRED).saying('link.confirmExpired');
  return {
    email: row.s.email,
    listNames: uniqueNames(rows.map((r) => r.listName)),
    state: row.s.state,
    incident: null as FollowedIncident,
  };
}

/**
 * The POST behind the confirmation page's button. Pressing it twice is fine; the welcome
 * email goes once. A follow of one incident gets no welcome: its updates start with the next.
 */
export async function confirmSubscription(deps: DomainDeps, raw: { token: string }) {
  const { token } = parseInput(confirmInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const rows = await tx
      .select({ s: subscribers, listName: lists.name })
      .from(subscribers)
      .innerJoin(lists, eq(lists.id, subscribers.listId))
      .where(eq(subscribers.confirmTokenHash, hashToken(token)))
      .orderBy(asc(lists.createdAt), asc(lists.name));
    const row = rows[0];
    if (!row) {
      const follow = await followerByConfirmToken(tx, token);
      if (!follow) throw new LinkNotValidError(NOT_VALID).saying('link.confirmNotValid');
      const done = {
        email: follow.f.email,
        listNames: [followName(follow.incident.title)],
        incident: followed(follow),
      };
      if (follow.f.state === 'confirmed') return { ...done, alreadyConfirmed: true };
      assertFollowConfirmable(follow, now);
      await confirmFollower(tx, follow.f, now);
      return { ...done, alreadyConfirmed: false };
    }
    const list = {
      email: row.s.email,
      listNames: uniqueNames(rows.map((r) => r.listName)),
      incident: null as FollowedIncident,
    };
    const pending = rows.filter((r) => r.s.state === 'pending');
    if (pending.length === 0) return { ...list, alreadyConfirmed: true };
    if ((row.s.confirmExpiresAt?.getTime() ?? 0) <= now.getTime()) {
      throw new LinkExpiredError(EXPIRED).saying('link.confirmExpired');
    }
    // Every list of the one sign-up at once (they share the token), and one welcome.
    for (const p of pending)
      await tx
        .update(subscribers)
        .set({ state: 'confirmed', confirmedAt: now, unsubscribedAt: null, updatedAt: now })
        .where(eq(subscribers.id, p.s.id));
    await enqueueMessage(
      tx,
      deps.config,
      { kind: 'welcome', to: row.s.email, payload: { subscriberId: pending[0]!.s.id } },
      now,
    );
    return { ...list, alreadyConfirmed: false };
  });
}
