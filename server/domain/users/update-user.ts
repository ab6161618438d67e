import { and, count, eq, isNull, ne } from 'drizzle-orm';
import { sessions, users } from '../../../db/schema/index.ts';
import { tokensNarrowedBy } from '../auth/api-tokens.ts';
import {
  checkLoginThrottle,
  clearLoginFailures,
  recordLoginFailure,
} from '../auth/login-throttle.ts';
import { hashPassword, passwordInput, verifyPassword } from '../auth/password.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { publicUser } from './read-users.ts';
import { setPasswordInput, type UpdateUserInput, updateUserInput } from './inputs.ts';

/** Renames, changes the role of, disables or re-enables a user. Disabling ends their sessions. */
export async function updateUser(deps: DomainDeps, raw: UpdateUserInput, actor: Actor) {
  assertRole(actor, 'admin');
  const input = parseInput(updateUserInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(users).where(eq(users.id, input.userId));
    if (!before) throw new NotFoundError('user', input.userId);
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
    // Tokens act with at most their maker's role (checked per request); the answer and the
    // audit entry name the ones this change narrows, so the admin sees what it reaches.
    const affectedTokens = await tokensNarrowedBy(tx, before.id, {
      role: after.role,
      disabled: !!after.disabledAt,
    });
    await tx.update(users).set(after).where(eq(users.id, before.id));
    if (after.disabledAt) await tx.delete(sessions).where(eq(sessions.userId, before.id));
    await recordAudit(tx, actor, now, {
      action: 'user.update',
      objectType: 'user',
      objectId: before.id,
      before: publicUser(before),
      after: { ...publicUser(after), ...(affectedTokens.length ? { affectedTokens } : {}) },
    });
    return { ...publicUser(after), affectedTokens };
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
    if (!before) throw new NotFoundError('user', input.userId);
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

/**
 * A signed-in user changes their own password: the current one is checked, their other
 * sessions end, the one they are using stays. The check is throttled and counted with
 * sign-ins (per account and client `address`): a session alone (an unlocked laptop, a stolen
 * cookie) must not become a way to guess the password itself.
 */
export async function changeOwnPassword(
  deps: DomainDeps,
  raw: { currentPassword: string; newPassword: string; newPasswordConfirm: string },
  actor: Actor,
  keepSessionId: string,
  address: string,
) {
  if (actor.type !== 'user' || !actor.id)
    throw new ValidationError('Only a signed-in user has a password to change.');
  const [user] = await deps.db.select().from(users).where(eq(users.id, actor.id));
  if (!user) throw new NotFoundError('user', actor.id);
  const now = deps.clock.now();
  await checkLoginThrottle(deps.db, user.email, address, now, {
    message: 'Too many wrong passwords.',
  });
  const fields: Record<string, string> = {};
  if (!(await verifyPassword(String(raw.currentPassword ?? ''), user.passwordHash))) {
    fields.currentPassword = 'is not your current password';
    await recordLoginFailure(deps.db, user.email, address, now);
  }
  const parsed = passwordInput.safeParse(raw.newPassword);
  if (!parsed.success) fields.newPassword = parsed.error.issues[0]?.message ?? 'is not valid';
  else if (raw.newPassword !== raw.newPasswordConfirm)
    fields.newPasswordConfirm = 'does not match the new password';
  if (Object.keys(fields).length)
    throw new ValidationError('Please fix the fields marked below.', fields);
  const passwordHash = await hashPassword(raw.newPassword);
  await deps.db.transaction(async (tx) => {
    await clearLoginFailures(tx, user.email, address);
    await tx.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, user.id));
    await tx
      .delete(sessions)
      .where(and(eq(sessions.userId, user.id), ne(sessions.id, keepSessionId)));
    await recordAudit(tx, actor, now, {
      action: 'user.change_own_password',
      objectType: 'user',
      objectId: user.id,
      after: { email: user.email },
    });
  });
}
