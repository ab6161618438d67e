import { and, asc, count, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import type { DbOrTx } from '../../../db/client.ts';
import { components } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { type Parsed, verb } from '../shared/verb.ts';

type ComponentRow = typeof components.$inferSelect;

export const updateComponentInput = z.strictObject({
  componentId: idInput,
  name: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(100, 'must be at most 100 characters')
    .optional(),
  description: z.string().trim().max(500, 'must be at most 500 characters').nullish(),
  /** null moves it to the top level. */
  groupId: idInput.nullish(),
  showcase: z.boolean().optional(),
  onlyShowIfDegraded: z.boolean().optional(),
});
export type UpdateComponentInput = z.input<typeof updateComponentInput>;

async function loadComponent(tx: DbOrTx, id: string): Promise<ComponentRow> {
  const [row] = await tx.select().from(components).where(eq(components.id, id));
  if (!row) throw new NotFoundError('component', id);
  return row;
}

const siblingsOf = (groupId: string | null) =>
  groupId ? eq(components.groupId, groupId) : isNull(components.groupId);

/** Renumbers siblings 1..n in their current order, so moves are simple swaps. */
async function renumber(tx: DbOrTx, groupId: string | null): Promise<ComponentRow[]> {
  const rows = await tx
    .select()
    .from(components)
    .where(siblingsOf(groupId))
    .orderBy(asc(components.position), asc(components.createdAt));
  for (const [i, r] of rows.entries()) {
    if (r.position !== i + 1)
      await tx
        .update(components)
        .set({ position: i + 1 })
        .where(eq(components.id, r.id));
    r.position = i + 1;
  }
  return rows;
}

/** Renames, describes, regroups or changes the display flags of a component or group. */
export const updateComponent = verb(updateComponentInput, updateComponentParsed);
async function updateComponentParsed(
  deps: DomainDeps,
  input: Parsed<typeof updateComponentInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await loadComponent(tx, input.componentId);
    const groupId = input.groupId === undefined ? before.groupId : input.groupId;
    const moving = groupId !== before.groupId;
    if (moving && groupId) {
      if (before.isGroup)
        throw new ValidationError('Groups cannot be nested.', {
          groupId: 'a group cannot go inside another group',
        });
      if (groupId === before.id)
        throw new ValidationError('A component cannot be its own group.', {
          groupId: 'cannot be the component itself',
        });
      const group = await loadComponent(tx, groupId).catch(() => {
        throw new ValidationError(`groupId: no group with id ${groupId}`, {
          groupId: 'no such group',
        });
      });
      if (!group.isGroup)
        throw new ValidationError('groupId must name a group.', { groupId: 'is not a group' });
    }
    let position = before.position;
    if (moving) {
      const [row] = await tx
        .select({ n: count() })
        .from(components)
        .where(siblingsOf(groupId ?? null));
      position = (row?.n ?? 0) + 1;
    }
    const after: ComponentRow = {
      ...before,
      name: input.name ?? before.name,
      description: input.description === undefined ? before.description : input.description || null,
      groupId: groupId ?? null,
      position,
      showcase: input.showcase ?? before.showcase,
      onlyShowIfDegraded: input.onlyShowIfDegraded ?? before.onlyShowIfDegraded,
      updatedAt: now,
    };
    await tx.update(components).set(after).where(eq(components.id, before.id));
    if (moving) await renumber(tx, before.groupId);
    await recordAudit(tx, actor, now, {
      action: 'component.update',
      objectType: 'component',
      objectId: before.id,
      before,
      after,
    });
    await bumpChanges(tx, now);
    return after;
  });
}

export const moveComponentInput = z.strictObject({
  componentId: idInput,
  direction: z.enum(['up', 'down'], { error: 'must be up or down' }),
});

/** Moves a component one place up or down among its siblings (top level, or in its group). */
export const moveComponent = verb(moveComponentInput, moveComponentParsed);
async function moveComponentParsed(
  deps: DomainDeps,
  input: Parsed<typeof moveComponentInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const target = await loadComponent(tx, input.componentId);
    const rows = await renumber(tx, target.groupId);
    const i = rows.findIndex((r) => r.id === target.id);
    const j = input.direction === 'up' ? i - 1 : i + 1;
    const other = rows[j];
    const me = rows[i]!;
    if (!other) return { moved: false, position: me.position };
    await tx
      .update(components)
      .set({ position: other.position, updatedAt: now })
      .where(eq(components.id, me.id));
    await tx
      .update(components)
      .set({ position: me.position, updatedAt: now })
      .where(eq(components.id, other.id));
    await recordAudit(tx, actor, now, {
      action: 'component.move',
      objectType: 'component',
      objectId: me.id,
      before: { position: me.position },
      after: { position: other.position, direction: input.direction },
    });
    await bumpChanges(tx, now);
    return { moved: true, position: other.position };
  });
}

/** Deletes a component (its status history goes with it). A group must be empty first. */
export async function deleteComponent(
  deps: DomainDeps,
  raw: { componentId: string },
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const { componentId } = parseInput(z.strictObject({ componentId: idInput }), raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await loadComponent(tx, componentId);
    if (before.isGroup) {
      const [row] = await tx
        .select({ n: count() })
        .from(components)
        .where(and(eq(components.groupId, before.id)));
      if ((row?.n ?? 0) > 0)
        throw new ConflictError(
          `The group "${before.name}" still has components; move or delete them first.`,
        );
    }
    await tx.delete(components).where(eq(components.id, before.id));
    await renumber(tx, before.groupId);
    await recordAudit(tx, actor, now, {
      action: 'component.delete',
      objectType: 'component',
      objectId: before.id,
      before,
    });
    await bumpChanges(tx, now);
    return before;
  });
}
