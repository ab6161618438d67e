import { eq } from 'drizzle-orm';
import { lists, subscribers } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../broadcasts/enqueue-message.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { LinkNotValidError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { z } from 'zod';
import { tokenInput } from './inputs.ts';
import { hashToken } from './tokens.ts';

const confirmInput = z.object({ token: tokenInput });

export class LinkExpiredError extends LinkNotValidError {}

const NOT_VALID =
  'This confirmation link is not valid. A newer email may have replaced it: use the latest one, or subscribe again.';
const EXPIRED =
  'This confirmation link has expired (links work for 7 days). Subscribe again to get a new one.';

/** What the confirmation page shows before the button is pressed (nothing changes on GET). */
export async function readConfirmation(deps: DomainDeps, raw: { token: string }) {
  const { token } = parseInput(confirmInput, raw);
  const [row] = await deps.db
    .select({ s: subscribers, listName: lists.name })
    .from(subscribers)
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(eq(subscribers.confirmTokenHash, hashToken(token)));
  if (!row) throw new LinkNotValidError(NOT_VALID);
  const expired =
    row.s.state === 'pending' &&
    (row.s.confirmExpiresAt?.getTime() ?? 0) <= deps.clock.now().getTime();
  if (expired) throw new LinkExpiredError(EXPIRED);
  return { email: row.s.email, listName: row.listName, state: row.s.state };
}

/**
 * The POST behind the confirmation page's button. Pressing it twice is fine; the welcome
 * email goes once.
 */
export async function confirmSubscription(deps: DomainDeps, raw: { token: string }) {
  const { token } = parseInput(confirmInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .select({ s: subscribers, listName: lists.name })
      .from(subscribers)
      .innerJoin(lists, eq(lists.id, subscribers.listId))
      .where(eq(subscribers.confirmTokenHash, hashToken(token)));
    if (!row) throw new LinkNotValidError(NOT_VALID);
    if (row.s.state === 'confirmed')
      return { email: row.s.email, listName: row.listName, alreadyConfirmed: true };
    if ((row.s.confirmExpiresAt?.getTime() ?? 0) <= now.getTime()) {
      throw new LinkExpiredError(EXPIRED);
    }
    await tx
      .update(subscribers)
      .set({ state: 'confirmed', confirmedAt: now, unsubscribedAt: null, updatedAt: now })
      .where(eq(subscribers.id, row.s.id));
    await enqueueMessage(
      tx,
      deps.config,
      { kind: 'welcome', to: row.s.email, payload: { subscriberId: row.s.id } },
      now,
    );
    return { email: row.s.email, listName: row.listName, alreadyConfirmed: false };
  });
}
