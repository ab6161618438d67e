import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../../db/client.ts';
import { audiences, components, lists } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { bumpChanges, NO_PUBLIC_CHANGE, recordAudit } from '../shared/writes.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { readOncePerRequest } from '../../../db/request-reads.ts';

export type AudienceRow = typeof audiences.$inferSelect;

const domainPattern = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const createAudienceInput = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  /** The page's address: /a/<slug>. */
  slug: z
    .string()
    .trim()
    .regex(
      /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/,
      'must be lower-case letters, digits and dashes',
    ),
  memberDomains: z
    .array(z.string().trim().toLowerCase().regex(domainPattern, 'must be a domain like acme.com'))
    .max(50)
    .default([]),
  memberEmails: z.array(z.email('must be an email address').toLowerCase()).max(1000).default([]),
  everyoneSignedIn: z.boolean({ error: 'must be true or false' }).default(false),
  /** Null or absent: every component. */
  componentIds: z.array(z.string().min(1)).max(200).nullish(),
  seesInternal: z.boolean({ error: 'must be true or false' }).default(false),
});

/** Defines a named audience (admins only). Nothing public changes: the public page never names it. */
export const createAudience = verb(createAudienceInput, createAudienceParsed);
async function createAudienceParsed(
  deps: DomainDeps,
  input: Parsed<typeof createAudienceInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    await checkAudience(tx, input, null);
    const row: AudienceRow = {
      id: newId(),
      ...input,
      componentIds: input.componentIds?.length ? input.componentIds : null,
      tokenVersion: 1,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(audiences).values(row);
    await recordAudit(tx, actor, now, {
      action: 'audience.create',
      objectType: 'audience',
      objectId: row.id,
      after: { ...input },
    });
    return row;
  });
}

type AudienceInput = z.output<typeof createAudienceInput>;

export const updateAudienceInput = createAudienceInput.extend({
  audienceId: z.string().min(1, 'is required'),
});

/** The address is free (for another audience than `self`) and every component exists. */
async function checkAudience(tx: DbOrTx, input: AudienceInput, self: string | null) {
  const [taken] = await tx.select().from(audiences).where(eq(audiences.slug, input.slug));
  if (taken && taken.id !== self)
    throw new ConflictError(`An audience already has the address /a/${input.slug}.`);
  if (input.componentIds?.length) {
    const known = new Set(
      (await tx.select({ id: components.id }).from(components)).map((c) => c.id),
    );
    const missing = input.componentIds.filter((id) => !known.has(id));
    if (missing.length)
      throw new ValidationError('A component does not exist.', {
        componentIds: `no component ${missing.join(', ')}`,
      });
  }
}

/**
 * Changes an audience as a whole (admins only): every field is given, as on its form. A new
 * address moves its page and feeds (the feed token stays, so readers change only the path).
 */
export const updateAudience = verb(updateAudienceInput, updateAudienceParsed);
async function updateAudienceParsed(
  deps: DomainDeps,
  parsed: Parsed<typeof updateAudienceInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const { audienceId: id, ...input } = parsed;
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(audiences).where(eq(audiences.id, id));
    if (!before) throw new NotFoundError('audience', id);
    await checkAudience(tx, input, id);
    const change = {
      ...input,
      componentIds: input.componentIds?.length ? input.componentIds : null,
      updatedAt: now,
    };
    await tx.update(audiences).set(change).where(eq(audiences.id, id));
    // Its page and feeds show other components or notes now: cached admin views refresh.
    await bumpChanges(tx, now, NO_PUBLIC_CHANGE);
    await recordAudit(tx, actor, now, {
      action: 'audience.update',
      objectType: 'audience',
      objectId: id,
      before: audit(before),
      after: { ...input },
    });
    return { ...before, ...change };
  });
}

/** A new feed token: every feed and v2 URL given out before stops working (admins only). */
export async function revokeAudienceFeeds(deps: DomainDeps, id: string, actor: Actor) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(audiences).where(eq(audiences.id, id));
    if (!before) throw new NotFoundError('audience', id);
    const tokenVersion = before.tokenVersion + 1;
    await tx.update(audiences).set({ tokenVersion, updatedAt: now }).where(eq(audiences.id, id));
    await recordAudit(tx, actor, now, {
      action: 'audience.revoke_feeds',
      objectType: 'audience',
      objectId: id,
      before: { tokenVersion: before.tokenVersion },
      after: { tokenVersion },
    });
    return { ...before, tokenVersion, updatedAt: now };
  });
}

const audit = (a: AudienceRow) => ({
  name: a.name,
  slug: a.slug,
  memberDomains: a.memberDomains,
  memberEmails: a.memberEmails,
  everyoneSignedIn: a.everyoneSignedIn,
  componentIds: a.componentIds,
  seesInternal: a.seesInternal,
});

/** Removes an audience, its texts, its lists with their subscribers and its feed URLs (admins only). */
export async function deleteAudience(deps: DomainDeps, id: string, actor: Actor) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(audiences).where(eq(audiences.id, id));
    if (!before) throw new NotFoundError('audience', id);
    // Its lists go with it (never left behind as public lists naming it); their subscribers and
    // deliveries follow through their own foreign keys.
    const gone = await tx
      .delete(lists)
      .where(eq(lists.audienceId, id))
      .returning({ id: lists.id, name: lists.name });
    await tx.delete(audiences).where(eq(audiences.id, id));
    await bumpChanges(tx, now);
    await recordAudit(tx, actor, now, {
      action: 'audience.delete',
      objectType: 'audience',
      objectId: id,
      before: { slug: before.slug, name: before.name, lists: gone },
    });
  });
}

export function listAudiences(db: DbOrTx): Promise<readonly AudienceRow[]> {
  return readOncePerRequest(db, 'audiences', () =>
    db.select().from(audiences).orderBy(asc(audiences.name)),
  );
}

export async function readAudience(db: DbOrTx, id: string): Promise<AudienceRow | null> {
  const [row] = await db.select().from(audiences).where(eq(audiences.id, id));
  return row ?? null;
}

export async function findAudienceBySlug(db: DbOrTx, slug: string): Promise<AudienceRow | null> {
  const [row] = await db.select().from(audiences).where(eq(audiences.slug, slug));
  return row ?? null;
}

/** Whether someone signed in with this address belongs to the audience. */
export function isMember(
  a: Pick<AudienceRow, 'memberDomains' | 'memberEmails' | 'everyoneSignedIn'>,
  reader: { email: string; viaCompanyIdp: boolean },
): boolean {
  const email = reader.email.toLowerCase();
  if (a.everyoneSignedIn && reader.viaCompanyIdp) return true;
  if (a.memberEmails.includes(email)) return true;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return a.memberDomains.includes(domain);
}
