import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { onDutyUsers, users } from '../../../db/schema/index.ts';
import { hashPassword } from '../auth/password.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { createUserInput } from './inputs.ts';
import { publicUser, type UserRow } from './read-users.ts';

export const createUser = verb(createUserInput, createUserParsed);
async function createUserParsed(
  deps: DomainDeps,
  input: Parsed<typeof createUserInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const passwordHash = await hashPassword(input.password);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [taken] = await tx
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, input.email));
    if (taken) throw new ConflictError(`A user with the email ${input.email} already exists.`);
    return insertUser(tx, actor, now, {
      email: input.email,
      name: input.name,
      role: input.role,
      passwordHash,
    });
  });
}

/** Writes a new user and its audit entry in the caller's transaction; returns its public view. */
export async function insertUser(
  tx: DbOrTx,
  actor: Actor,
  now: Date,
  u: Pick<UserRow, 'email' | 'name' | 'role' | 'passwordHash'>,
) {
  const row: UserRow = { id: newId(), ...u, disabledAt: null, createdAt: now, updatedAt: now };
  const [anyone] = await tx.select({ id: users.id }).from(users).limit(1);
  await tx.insert(users).values(row);
  // On a fresh install nobody would hear of a P0 report: the first admin is on duty until
  // someone else is put on duty.
  if (!anyone && u.role === 'admin')
    await tx.insert(onDutyUsers).values({ userId: row.id, since: now, byDefault: true });
  await recordAudit(tx, actor, now, {
    action: 'user.create',
    objectType: 'user',
    objectId: row.id,
    after: publicUser(row),
  });
  return publicUser(row);
}
