import { and, count, eq, isNull, ne } from 'drizzle-orm';
import { sessions, users } from '../../../db/schema/index.ts';
import { hashPassword } from '../auth/password.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { publicUser } from './create-user.ts';
import { setPasswordInput, type UpdateUserInput, updateUserInput } from './inputs.ts';

/** Renames, changes the role of, disables or re-enables a user. Disabling ends their sessions. */
export async function updateUser(deps: DomainDeps, raw: UpdateUserInput, actor: Actor) {
  assertRole(actor, 'admin');
  const input = parseInput(updateUserInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(users).where(eq(users.id, input.userId));
    if (!before) throw new NotFoundError(`No user with id ${input.userId}.`);
    const after = {
      ...before,
      name: input.name ?? before.name,
      role: input.role ?? before.role,
      disabledAt:
        input.disabled === undefined
          ? before.disabledAt
          : input.disabled
            ? (before.disabledAt ?? now)
            : null,
      updatedAt: now,
    };
    const losesAdmin =
      before.role === 'admin' && !before.disabledAt && (after.role !== 'admin' || after.disabledAt);
    if (losesAdmin) {
      const [row] = await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.role, 'admin'), isNull(users.disabledAt), ne(users.id, before.id)));
      if ((row?.n ?? 0) === 0)
        throw new ConflictError(
          'Herald needs at least one active admin; make someone else admin first.',
        );
    }
    await tx.update(users).set(after).where(eq(users.id, before.id));
    if (after.disabledAt) await tx.delete(sessions).where(eq(sessions.userId, before.id));
    await recordAudit(tx, actor, now, {
      action: 'user.update',
      objectType: 'user',
      objectId: before.id,
      before: publicUser(before),
      after: publicUser(after),
    });
    return publicUser(after);
  });
}

/** Sets a new password and signs the user out everywhere. */
export async function setUserPassword(
  deps: DomainDeps,
  raw: { userId: string; password: string },
  actor: Actor,
) {
  const input = parseInput(setPasswordInput, raw);
  // Users may change their own password; changing someone else's is for admins.
  if (!(actor.type === 'user' && actor.id === input.userId)) assertRole(actor, 'admin');
  const passwordHash = await hashPassword(input.password);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(users).where(eq(users.id, input.userId));
    if (!before) throw new NotFoundError(`No user with id ${input.userId}.`);
    await tx.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, before.id));
    await tx.delete(sessions).where(eq(sessions.userId, before.id));
    await recordAudit(tx, actor, now, {
      action: 'user.set_password',
      objectType: 'user',
      objectId: before.id,
      after: { email: before.email },
    });
    return publicUser(before);
  });
}

export async function findUserByEmail(deps: DomainDeps, email: string) {
  const [row] = await deps.db
    .select()
    .from(users)
    .where(eq(users.email, email.trim().toLowerCase()));
  return row ?? null;
}

export async function listUsers(deps: DomainDeps) {
  const rows = await deps.db.select().from(users).orderBy(users.email);
  return rows.map(publicUser);
}

export async function countUsers(deps: DomainDeps): Promise<number> {
  const [row] = await deps.db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}
