import { and, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import { onDutyUsers, settings, users } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ForbiddenError, ValidationError } from '../shared/errors.ts';
import { assertActiveUser } from '../users/active-user.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { getSettings } from '../settings/get-settings.ts';
import { type Parsed, verb } from '../shared/verb.ts';

const minutes = z
  .number({ error: 'must be a number of minutes' })
  .int('must be whole minutes')
  .min(1, 'must be at least 1 minute')
  .max(24 * 60, 'must be at most a day');

export const updateTriageSettingsInput = z.strictObject({
  triageMinutesP0: minutes.optional(),
  triageMinutesP1: minutes.optional(),
  p1BudgetPerWeek: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'cannot be negative')
    .max(100, 'must be at most 100')
    .optional(),
  finalAuthorityUserId: z.string().min(1).nullable().optional(),
});
export type UpdateTriageSettingsInput = z.input<typeof updateTriageSettingsInput>;

/** Admins set the timebox, the weekly P1 budget and who settles disagreements. */
export const updateTriageSettings = verb(updateTriageSettingsInput, updateTriageSettingsParsed);
async function updateTriageSettingsParsed(
  deps: DomainDeps,
  input: Parsed<typeof updateTriageSettingsInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    if (input.finalAuthorityUserId)
      await assertActiveUser(tx, 'finalAuthorityUserId', input.finalAuthorityUserId);
    const before = await getSettings(tx);
    await tx
      .update(settings)
      .set({ ...input, updatedAt: now })
      .where(eq(settings.id, 1));
    await recordAudit(tx, actor, now, {
      action: 'settings.triage',
      objectType: 'settings',
      objectId: '1',
      before: {
        triageMinutesP0: before.triageMinutesP0,
        triageMinutesP1: before.triageMinutesP1,
        p1BudgetPerWeek: before.p1BudgetPerWeek,
        finalAuthorityUserId: before.finalAuthorityUserId,
      },
      after: input,
    });
    await bumpChanges(tx, now);
    return getSettings(tx);
  });
}

export const setOnDutyInput = z.strictObject({
  userId: z.string().min(1),
  onDuty: z.boolean({ error: 'must be true or false' }),
});

/**
 * Marks a user on duty or off: admins for anyone, responders for themselves. Putting someone
 * on duty ends the first admin's default turn; marking the first admin on duty makes it theirs.
 */
export const setOnDuty = verb(setOnDutyInput, setOnDutyParsed);
async function setOnDutyParsed(
  deps: DomainDeps,
  input: Parsed<typeof setOnDutyInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  if (actor.role !== 'admin' && actor.role !== 'system' && actor.id !== input.userId)
    throw new ForbiddenError('Only an admin can put someone else on duty.');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [u] = await tx.select().from(users).where(eq(users.id, input.userId));
    if (!u) throw new ValidationError('userId: no such user', { userId: 'no such user' });
    if (input.onDuty) {
      await tx
        .insert(onDutyUsers)
        .values({ userId: u.id, since: now })
        .onConflictDoUpdate({ target: onDutyUsers.userId, set: { byDefault: false } });
      // The first admin was on duty only until someone else is.
      await tx
        .delete(onDutyUsers)
        .where(and(eq(onDutyUsers.byDefault, true), ne(onDutyUsers.userId, u.id)));
    } else await tx.delete(onDutyUsers).where(eq(onDutyUsers.userId, u.id));
    await recordAudit(tx, actor, now, {
      action: input.onDuty ? 'user.on_duty' : 'user.off_duty',
      objectType: 'user',
      objectId: u.id,
    });
    await bumpChanges(tx, now);
    return { userId: u.id, onDuty: input.onDuty };
  });
}

export async function readOnDutyUserIds(deps: DomainDeps): Promise<string[]> {
  return (await deps.db.select({ id: onDutyUsers.userId }).from(onDutyUsers)).map((r) => r.id);
}
