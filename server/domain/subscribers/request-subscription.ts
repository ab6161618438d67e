import { eq, isNull } from 'drizzle-orm';
import { lists, subscribers } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { requestSubscriptionInput } from './inputs.ts';
import {
  checkComponentIds,
  findSubscriber,
  listsOpenTo,
  type PublicList,
  publicList,
} from './subscriber-reads.ts';
import { confirmToken, hashToken, linkKey, manageToken } from './tokens.ts';
import { spendRequestBudget } from './request-budget.ts';

export const CONFIRM_TTL_MS = 7 * 24 * 3600_000;

export type RequestSubscriptionResult =
  { outcome: 'sent'; email: string } | { outcome: 'choose'; email: string; lists: PublicList[] };

/**
 * Someone asks to join: double opt-in. The answer is the same whether the address was new,
 * pending or already confirmed, so the form reveals nothing about who is subscribed.
 */
export const requestSubscription = verb(requestSubscriptionInput, requestSubscriptionParsed);
async function requestSubscriptionParsed(
  deps: DomainDeps,
  input: Parsed<typeof requestSubscriptionInput>,
  _actor: Actor,
): Promise<RequestSubscriptionResult> {
  const now = deps.clock.now();
  const email = input.email;
  const open = await listsOpenTo(deps.db, deps.config, email);
  let chosen = open;
  if (input.listIds && input.listIds.length > 0) {
    // An audience's list is not there for this form: the same answer as a list that is gone.
    const all = await deps.db.select().from(lists).where(isNull(lists.audienceId));
    chosen = [];
    for (const id of input.listIds) {
      const list = all.find((l) => l.id === id);
      if (!list)
        throw new ValidationError(
          'That list does not exist any more; choose again.',
          { listIds: 'unknown list' },
          { listIds: { key: 'valid.listGone' } },
        );
      if (!open.some((o) => o.id === list.id)) {
        throw new ValidationError(
          `The ${list.name} list only takes company addresses; ${email} cannot join it.`,
          { listIds: `${list.name} only takes company addresses` },
          { listIds: { key: 'valid.companyOnly', values: { list: list.name } } },
        );
      }
      chosen.push(list);
    }
  } else if (open.length === 0) {
    throw new ValidationError(
      `No list takes ${email}.`,
      { email: 'no list takes this address' },
      { email: { key: 'valid.noListTakes' } },
    );
  } else if (open.length > 1) {
    return { outcome: 'choose', email, lists: open.map(publicList) };
  }
  const componentIds = await checkComponentIds(deps.db, input.componentIds);
  const key = await linkKey(deps.db, deps.config);

  await deps.db.transaction(async (tx) => {
    await spendRequestBudget(
      tx,
      email,
      chosen.map((l) => l.id),
      now,
    );
    // One sign-up, one confirmation: every list chosen shares the first row's token, so one
    // email and one press confirm them all.
    const expires = new Date(now.getTime() + CONFIRM_TTL_MS);
    let first: string | null = null;
    let tokenHash = '';
    for (const list of chosen) {
      const existing = await findSubscriber(tx, list.id, email);
      if (existing?.state === 'confirmed') continue;
      const id = existing?.id ?? newId();
      if (first === null) {
        first = id;
        tokenHash = hashToken(confirmToken(key, id, expires));
      }
      const fields = {
        state: 'pending' as const,
        componentIds,
        confirmTokenHash: tokenHash,
        confirmExpiresAt: expires,
        manageTokenHash: hashToken(manageToken(key, id)),
        ...(input.language ? { language: input.language } : {}),
        updatedAt: now,
      };
      if (existing) await tx.update(subscribers).set(fields).where(eq(subscribers.id, id));
      else
        await tx
          .insert(subscribers)
          .values({ id, listId: list.id, email, source: 'form', createdAt: now, ...fields });
    }
    if (first !== null)
      await enqueueMessage(
        tx,
        deps.config,
        { kind: 'confirmation', to: email, payload: { subscriberId: first } },
        now,
      );
  });
  return { outcome: 'sent', email };
}
