import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../../db/client.ts';
import { lists, subscribers } from '../../../db/schema/index.ts';
import { type AudienceRow, findAudienceBySlug, isMember } from '../audiences/manage-audiences.ts';
import { AUDIENCE_SSO_SOURCE, readAudienceLists } from '../lists/list-reading.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { idInput } from '../shared/inputs.ts';
import { parseInput } from '../shared/parse.ts';
import { languageInput } from './inputs.ts';
import { hashToken, linkKey, manageToken } from './tokens.ts';

// A member of a named audience joins and leaves its lists from the audience's page. Their
// address is already proved (an emailed sign-in link or the company's provider), so joining
// needs no confirmation email. Anyone who is not a member (or names another audience's list)
// gets the page's NotFoundError and nothing is written, so the answer never tells which
// audiences or lists exist.

/** The reader on the audience page: their proved address and how they proved it. */
export interface AudienceReaderIdentity {
  email: string;
  viaCompanyIdp: boolean;
}

/** An audience page source a subscriber row carries: how its address was proved. */
const sourceOf = (r: AudienceReaderIdentity) =>
  r.viaCompanyIdp ? AUDIENCE_SSO_SOURCE : 'audience';

export const audienceListChoice = z.strictObject({
  audience: z.string().trim().min(1).max(40),
  listId: idInput,
  /** The language of the page they joined from: their mail comes in it. */
  language: languageInput.optional(),
});

/** The audience if this reader belongs to it, else the same not-found as a missing audience. */
async function memberOf(db: DbOrTx, slug: string, reader: AudienceReaderIdentity) {
  const a = await findAudienceBySlug(db, slug);
  if (!a || !isMember(a, reader)) throw new NotFoundError('audience', slug);
  return a;
}

async function audienceList(db: DbOrTx, a: AudienceRow, listId: string) {
  const [list] = await db
    .select()
    .from(lists)
    .where(and(eq(lists.id, listId), eq(lists.audienceId, a.id)));
  if (!list) throw new NotFoundError('audience', a.slug);
  return list;
}

/** The audience's lists for its page, each with whether this reader is on it. */
export async function readAudienceSubscriptions(
  db: DbOrTx,
  audience: Pick<AudienceRow, 'id'>,
  email: string,
) {
  const own = await readAudienceLists(db, audience.id);
  const rows = own.length
    ? await db
        .select({ listId: subscribers.listId, state: subscribers.state })
        .from(subscribers)
        .where(
          and(
            eq(subscribers.email, email.toLowerCase()),
            inArray(
              subscribers.listId,
              own.map((l) => l.id),
            ),
          ),
        )
    : [];
  const on = new Set(rows.filter((r) => r.state === 'confirmed').map((r) => r.listId));
  return own.map((l) => ({
    id: l.id,
    name: l.name,
    description: l.description,
    subscribed: on.has(l.id),
  }));
}

/**
 * A member joins one of their audience's lists: confirmed at once (the address is proved), with
 * a welcome email carrying the unsubscribe link, as after a confirmation. Joining again changes
 * nothing; someone who left comes back.
 */
export async function joinAudienceList(
  deps: DomainDeps,
  raw: z.input<typeof audienceListChoice>,
  reader: AudienceReaderIdentity,
): Promise<{ listName: string; joined: boolean }> {
  const input = parseInput(audienceListChoice, raw);
  const email = reader.email.toLowerCase();
  const now = deps.clock.now();
  const key = await linkKey(deps.db, deps.config);
  return deps.db.transaction(async (tx) => {
    const a = await memberOf(tx, input.audience, reader);
    const list = await audienceList(tx, a, input.listId);
    const [existing] = await tx
      .select()
      .from(subscribers)
      .where(and(eq(subscribers.listId, list.id), eq(subscribers.email, email)));
    if (existing?.state === 'confirmed') return { listName: list.name, joined: false };
    const id = existing?.id ?? newId();
    const fields = {
      state: 'confirmed' as const,
      confirmTokenHash: null,
      confirmExpiresAt: null,
      manageTokenHash: hashToken(manageToken(key, id)),
      source: sourceOf(reader),
      ...(input.language ? { language: input.language } : {}),
      confirmedAt: now,
      unsubscribedAt: null,
      updatedAt: now,
    };
    if (existing) await tx.update(subscribers).set(fields).where(eq(subscribers.id, id));
    else
      await tx
        .insert(subscribers)
        .values({ id, listId: list.id, email, componentIds: null, createdAt: now, ...fields });
    await enqueueMessage(
      tx,
      deps.config,
      { kind: 'welcome', to: email, payload: { subscriberId: id } },
      now,
    );
    return { listName: list.name, joined: true };
  });
}

/** A member leaves one of their audience's lists from its page (every mail's link works too). */
export async function leaveAudienceList(
  deps: DomainDeps,
  raw: z.input<typeof audienceListChoice>,
  reader: AudienceReaderIdentity,
): Promise<{ listName: string }> {
  const input = parseInput(audienceListChoice, raw);
  const email = reader.email.toLowerCase();
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const a = await memberOf(tx, input.audience, reader);
    const list = await audienceList(tx, a, input.listId);
    // Deliveries already queued are skipped: the worker checks the state when it sends.
    await tx
      .update(subscribers)
      .set({ state: 'unsubscribed', unsubscribedAt: now, updatedAt: now })
      .where(
        and(
          eq(subscribers.listId, list.id),
          eq(subscribers.email, email),
          eq(subscribers.state, 'confirmed'),
        ),
      );
    return { listName: list.name };
  });
}
