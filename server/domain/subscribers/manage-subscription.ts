import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../../db/client.ts';
import { lists, subscribers } from '../../../db/schema/index.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, LinkNotValidError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { idList, languageInput, tokenInput } from './inputs.ts';
import {
  checkComponentIds,
  type ComponentChoice,
  readComponentChoices,
} from './subscriber-reads.ts';
import { hashToken } from './tokens.ts';
import {
  followerByManageToken,
  followName,
  unsubscribedState,
  unsubscribeFollower,
} from './incident-follows.ts';

const NOT_VALID = 'This link is not valid. Use the manage link from the latest email you received.';

async function byManageToken(db: DbOrTx, token: string) {
  const [row] = await db
    .select({ s: subscribers, list: lists })
    .from(subscribers)
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(eq(subscribers.manageTokenHash, hashToken(token)));
  if (!row) throw new LinkNotValidError(NOT_VALID).saying('link.manageNotValid');
  return row;
}

export interface ManageView {
  email: string;
  listName: string;
  state: 'pending' | 'confirmed' | 'unsubscribed';
  everything: boolean;
  components: (ComponentChoice & { chosen: boolean })[];
  /** The language their mail comes in (null for a follow, which has none of its own). */
  language: string | null;
  /** Set for a follow of one incident: no components to choose; `ended` once it resolved. */
  incident: { id: string; title: string; ended: boolean } | null;
}

/** The manage page: which list, which components; reached only through the emailed token. */
export async function readSubscription(
  deps: DomainDeps,
  raw: { token: string },
): Promise<ManageView> {
  const { token } = parseInput(z.object({ token: tokenInput }), raw);
  const follow = await followerByManageToken(deps.db, token);
  if (follow)
    return {
      email: follow.f.email,
      listName: followName(follow.incident.title),
      state: follow.f.state,
      everything: true,
      components: [],
      language: null,
      incident: {
        id: follow.incident.id,
        title: follow.incident.title,
        // The follow ends at the resolve, whatever its state: someone who left before then
        // is told it ended too, since there is nothing more to leave or to follow.
        ended: follow.f.endedAt !== null || follow.incident.status === 'resolved',
      },
    };
  const { s, list } = await byManageToken(deps.db, token);
  const chosen = new Set(s.componentIds ?? []);
  const choices = await readComponentChoices(deps.db);
  return {
    email: s.email,
    listName: list.name,
    state: s.state,
    everything: s.componentIds === null,
    components: choices.map((c) => ({ ...c, chosen: s.componentIds === null || chosen.has(c.id) })),
    language: s.language,
    incident: null,
  };
}

const updateInput = z.object({
  token: tokenInput,
  componentIds: idList.nullish(),
  language: languageInput.optional(),
});

/**
 * Changes which components the subscriber hears about (none ticked means everything) and,
 * when given, the language their mail comes in.
 */
export async function updateSubscriptionComponents(
  deps: DomainDeps,
  raw: z.input<typeof updateInput>,
) {
  const input = parseInput(updateInput, raw);
  const now = deps.clock.now();
  const componentIds = await checkComponentIds(deps.db, input.componentIds);
  return deps.db.transaction(async (tx) => {
    const { s } = await byManageToken(tx, input.token);
    if (s.state === 'unsubscribed')
      throw new ConflictError(
        'You are unsubscribed. Subscribe again from the status page to get emails.',
      ).saying('manage.unsubscribedConflict');
    await tx
      .update(subscribers)
      .set({
        componentIds,
        ...(input.language ? { language: input.language } : {}),
        updatedAt: now,
      })
      .where(eq(subscribers.id, s.id));
    return { componentIds };
  });
}

/**
 * Unsubscribes with no login (RFC 8058 one-click, or the button on the page), from a list or
 * from following one incident. Idempotent.
 * Deliveries already queued are skipped by the worker, which checks the state at send time.
 */
export async function unsubscribeByToken(deps: DomainDeps, raw: { token: string }) {
  const { token } = parseInput(z.object({ token: tokenInput }), raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const follow = await followerByManageToken(tx, token);
    if (follow) {
      await unsubscribeFollower(tx, follow.f, now);
      return { email: follow.f.email, listName: followName(follow.incident.title) };
    }
    const { s, list } = await byManageToken(tx, token);
    if (s.state !== 'unsubscribed') {
      // The old confirmation link must not silently subscribe the address again.
      await tx.update(subscribers).set(unsubscribedState(now)).where(eq(subscribers.id, s.id));
    }
    return { email: s.email, listName: list.name };
  });
}
