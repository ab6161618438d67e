import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { incidentFollowers } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { loadFollowableIncident } from './incident-follows.ts';
import { emailInput, languageInput } from './inputs.ts';
import { spendRequestBudget } from './request-budget.ts';
import { CONFIRM_TTL_MS } from './request-subscription.ts';
import { confirmToken, hashToken, linkKey, manageToken } from './tokens.ts';

/**
 * Email followers one incident may have (pending ones included): each costs one email per
 * update, and a public form must not turn Herald into a mass sender.
 */
export const MAX_EMAIL_FOLLOWERS_PER_INCIDENT = 1000;

export const followIncidentByEmailInput = z.strictObject({
  incidentId: z.string().min(1).max(64),
  email: emailInput,
  /** The language of the page they followed from: their mail comes in it. */
  language: languageInput.optional(),
});

/**
 * A visitor follows one incident by email: double opt-in exactly as a list subscription (the
 * same tokens, the same confirmation page, the same per-address budget). Once confirmed, every
 * published update of that incident reaches them until it resolves. The answer is the same
 * whether the address was new, pending or already following, so the form reveals nothing.
 */
export async function followIncidentByEmail(
  deps: DomainDeps,
  raw: z.input<typeof followIncidentByEmailInput>,
): Promise<{ email: string }> {
  const input = parseInput(followIncidentByEmailInput, raw);
  const { email } = input;
  const now = deps.clock.now();
  const key = await linkKey(deps.db, deps.config);
  await deps.db.transaction(async (tx) => {
    const incident = await loadFollowableIncident(tx, input.incidentId);
    await spendRequestBudget(tx, email, [incident.id], now);
    const [existing] = await tx
      .select()
      .from(incidentFollowers)
      .where(
        and(eq(incidentFollowers.incidentId, incident.id), eq(incidentFollowers.email, email)),
      );
    if (existing?.state === 'confirmed' && !existing.endedAt) return;
    if (!existing) {
      const [{ n } = { n: 0 }] = await tx
        .select({ n: sql<number>`count(*)` })
        .from(incidentFollowers)
        .where(
          and(
            eq(incidentFollowers.incidentId, incident.id),
            ne(incidentFollowers.state, 'unsubscribed'),
          ),
        );
      if (Number(n) >= MAX_EMAIL_FOLLOWERS_PER_INCIDENT)
        throw new ConflictError(
          'This incident has as many followers as Herald takes; follow the RSS feed instead.',
        ).saying('follow.full');
    }
    const id = existing?.id ?? newId();
    const expires = new Date(now.getTime() + CONFIRM_TTL_MS);
    const fields = {
      state: 'pending' as const,
      confirmTokenHash: hashToken(confirmToken(key, id, expires)),
      confirmExpiresAt: expires,
      manageTokenHash: hashToken(manageToken(key, id)),
      endedAt: null,
      updatedAt: now,
      ...(input.language ? { language: input.language } : {}),
    };
    if (existing)
      await tx.update(incidentFollowers).set(fields).where(eq(incidentFollowers.id, id));
    else
      await tx
        .insert(incidentFollowers)
        .values({ id, incidentId: incident.id, email, createdAt: now, ...fields });
    await enqueueMessage(
      tx,
      deps.config,
      { kind: 'follow_confirmation', to: email, payload: { followerId: id } },
      now,
    );
  });
  return { email };
}
