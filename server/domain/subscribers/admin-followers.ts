import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { incidentFollowers } from '../../../db/schema/index.ts';
import { requireAdmin } from '../lists/create-list.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError } from '../shared/errors.ts';
import { idInput } from '../shared/inputs.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { unsubscribeFollower } from './incident-follows.ts';

export interface FollowerView {
  id: string;
  email: string;
  state: 'pending' | 'confirmed';
  since: Date;
}

/**
 * The addresses that follow an incident by email, for admins: confirmed ones get every update
 * until the resolve, pending ones have not clicked their link yet. Email addresses are personal
 * data, so only admins read them (responders see the count beside the notify choice).
 */
export async function readIncidentFollowers(
  deps: DomainDeps,
  incidentId: string,
  actor: Actor,
): Promise<FollowerView[]> {
  requireAdmin(actor);
  const rows = await deps.db
    .select()
    .from(incidentFollowers)
    .where(
      and(
        eq(incidentFollowers.incidentId, incidentId),
        inArray(incidentFollowers.state, ['pending', 'confirmed']),
        isNull(incidentFollowers.endedAt),
      ),
    )
    .orderBy(asc(incidentFollowers.createdAt), asc(incidentFollowers.email));
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    state: r.state === 'confirmed' ? 'confirmed' : 'pending',
    since: r.confirmedAt ?? r.createdAt,
  }));
}

/**
 * An admin stops an address following an incident (a complaint, a typo, a bounce): it gets no
 * more updates and its old confirmation link cannot start the follow again. Audited.
 */
export async function removeIncidentFollower(
  deps: DomainDeps,
  raw: { incidentId: string; followerId: string },
  actor: Actor,
): Promise<{ email: string }> {
  requireAdmin(actor);
  const input = parseInput(z.strictObject({ incidentId: idInput, followerId: idInput }), raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [f] = await tx
      .select()
      .from(incidentFollowers)
      .where(
        and(
          eq(incidentFollowers.id, input.followerId),
          eq(incidentFollowers.incidentId, input.incidentId),
        ),
      );
    if (!f) throw new NotFoundError('follower', input.followerId);
    await unsubscribeFollower(tx, f, now);
    await recordAudit(tx, actor, now, {
      action: 'follower.remove',
      objectType: 'incident',
      objectId: input.incidentId,
      before: { email: f.email, state: f.state },
    });
    return { email: f.email };
  });
}
