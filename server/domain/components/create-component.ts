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
    const row = {
      id: newId(),
      name: input.name,
      description: input.description ?? null,
      status: input.isGroup ? ('operational' as const) : input.status,
      isGroup: input.isGroup,
      groupId: input.groupId ?? null,
      position: next,
      showcase: input.showcase,
      onlyShowIfDegraded: input.onlyShowIfDegraded,
      startDate: now.toISOString().slice(0, 10),
      createdAt: now,
      updatedAt: now,
    };
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
