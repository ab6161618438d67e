import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import { componentStatuses, components } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';

export const createComponentInput = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  description: z.string().trim().max(500).nullish(),
  isGroup: z.boolean().default(false),
  groupId: idInput.nullish(),
  status: z.enum(componentStatuses).default('operational'),
  showcase: z.boolean().default(true),
  onlyShowIfDegraded: z.boolean().default(false),
});
export type CreateComponentInput = z.input<typeof createComponentInput>;

/**
 * A new component's row. A group stores operational whatever it was given: what it shows is
 * its children's worst. Uptime counts from `startDate`, else the day it was created.
 */
export function componentRow(
  input: Pick<
    Parsed<typeof createComponentInput>,
    'name' | 'description' | 'isGroup' | 'groupId' | 'status' | 'showcase' | 'onlyShowIfDegraded'
  >,
  place: { position: number; createdAt: Date; startDate?: string | null },
  now: Date,
) {
  return {
    id: newId(),
    name: input.name,
    description: input.description ?? null,
    status: input.isGroup ? ('operational' as const) : input.status,
    isGroup: input.isGroup,
    groupId: input.groupId ?? null,
    position: place.position,
    showcase: input.showcase,
    onlyShowIfDegraded: input.onlyShowIfDegraded,
    startDate: place.startDate ?? place.createdAt.toISOString().slice(0, 10),
    createdAt: place.createdAt,
    updatedAt: now,
  };
}

export const createComponent = verb(createComponentInput, createComponentParsed);
async function createComponentParsed(
  deps: DomainDeps,
  input: Parsed<typeof createComponentInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    if (input.groupId) {
      const [group] = await tx.select().from(components).where(eq(components.id, input.groupId));
      if (!group)
        throw new ValidationError(`No component group with id ${input.groupId}.`, {
          groupId: 'no such group',
        });
      if (!group.isGroup)
        throw new ValidationError('groupId must name a group.', { groupId: 'is not a group' });
      if (input.isGroup)
        throw new ValidationError('Groups cannot be nested.', {
          groupId: 'groups cannot be nested',
        });
    }
    const siblings = input.groupId
      ? eq(components.groupId, input.groupId)
      : isNull(components.groupId);
    const [{ next } = { next: 0 }] = await tx
      .select({ next: sql<number>`coalesce(max(${components.position}), 0) + 1` })
      .from(components)
      .where(and(siblings));
    const row = componentRow(input, { position: next, createdAt: now }, now);
    await tx.insert(components).values(row);
    await recordAudit(tx, actor, now, {
      action: 'component.create',
      objectType: 'component',
      objectId: row.id,
      after: row,
    });
    await bumpChanges(tx, now);
    return row;
  });
}
