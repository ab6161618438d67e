import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { alertRules, components } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { createAlertRuleInput, deleteAlertRuleInput, updateAlertRuleInput } from './inputs.ts';
import { type Parsed, verb } from '../shared/verb.ts';

export type AlertRuleRow = typeof alertRules.$inferSelect;

/** The rules in the order they are evaluated (first match wins). */
export async function readAlertRules(db: DbOrTx): Promise<AlertRuleRow[]> {
  return db.select().from(alertRules).orderBy(asc(alertRules.position), asc(alertRules.createdAt));
}

async function checkComponent(tx: DbOrTx, componentId: string | null | undefined) {
  if (!componentId) return;
  const [c] = await tx.select().from(components).where(eq(components.id, componentId));
  if (!c)
    throw new ValidationError(`componentId: no component with id ${componentId}`, {
      componentId: 'no such component',
    });
  if (c.isGroup)
    throw new ValidationError(`"${c.name}" is a group; pick one of its components.`, {
      componentId: 'groups have no status of their own',
    });
}

/** Writes positions 1..n in the given order, `moved` placed at `position` (1-based). */
async function reorder(tx: DbOrTx, moved: string, position: number | undefined, now: Date) {
  const ids = (await readAlertRules(tx)).map((r) => r.id).filter((id) => id !== moved);
  const at = Math.min(Math.max((position ?? ids.length + 1) - 1, 0), ids.length);
  ids.splice(at, 0, moved);
  for (const [i, id] of ids.entries())
    await tx
      .update(alertRules)
      .set({ position: i + 1, updatedAt: now })
      .where(eq(alertRules.id, id));
}

/** Admins write routing rules: a rule can set component statuses and declare incidents. */
export const createAlertRule = verb(createAlertRuleInput, createAlertRuleParsed);
async function createAlertRuleParsed(
  deps: DomainDeps,
  parsed: Parsed<typeof createAlertRuleInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const { position, ...input } = parsed;
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    await checkComponent(tx, input.componentId);
    const id = newId();
    await tx
      .insert(alertRules)
      .values({ id, position: 0, ...input, createdAt: now, updatedAt: now });
    await reorder(tx, id, position, now);
    const [rule] = await tx.select().from(alertRules).where(eq(alertRules.id, id));
    await recordAudit(tx, actor, now, {
      action: 'alert_rule.create',
      objectType: 'alert_rule',
      objectId: id,
      after: rule,
    });
    return rule!;
  });
}

export const updateAlertRule = verb(updateAlertRuleInput, updateAlertRuleParsed);
async function updateAlertRuleParsed(
  deps: DomainDeps,
  parsed: Parsed<typeof updateAlertRuleInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const { ruleId, position, ...change } = parsed;
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(alertRules).where(eq(alertRules.id, ruleId));
    if (!before) throw new NotFoundError('alert rule', ruleId);
    const after = { ...before, ...change };
    if (after.setStatus && !after.componentId)
      throw new ValidationError('setStatus: pick the component whose status it sets', {
        setStatus: 'pick the component whose status it sets',
      });
    await checkComponent(tx, change.componentId);
    await tx
      .update(alertRules)
      .set({ ...change, updatedAt: now })
      .where(eq(alertRules.id, ruleId));
    if (position !== undefined) await reorder(tx, ruleId, position, now);
    const [rule] = await tx.select().from(alertRules).where(eq(alertRules.id, ruleId));
    await recordAudit(tx, actor, now, {
      action: 'alert_rule.update',
      objectType: 'alert_rule',
      objectId: ruleId,
      before,
      after: rule,
    });
    return rule!;
  });
}

export async function deleteAlertRule(deps: DomainDeps, raw: { ruleId: string }, actor: Actor) {
  assertRole(actor, 'admin');
  const { ruleId } = parseInput(deleteAlertRuleInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(alertRules).where(eq(alertRules.id, ruleId));
    if (!before) throw new NotFoundError('alert rule', ruleId);
    await tx.delete(alertRules).where(eq(alertRules.id, ruleId));
    const rest = await readAlertRules(tx);
    for (const [i, r] of rest.entries())
      if (r.position !== i + 1)
        await tx
          .update(alertRules)
          .set({ position: i + 1 })
          .where(eq(alertRules.id, r.id));
    await recordAudit(tx, actor, now, {
      action: 'alert_rule.delete',
      objectType: 'alert_rule',
      objectId: ruleId,
      before,
    });
    return { deleted: ruleId };
  });
}
