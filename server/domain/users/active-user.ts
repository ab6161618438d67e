import { and, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { users } from '../../../db/schema/index.ts';
import { ValidationError } from '../shared/errors.ts';

/**
 * Whoever is handed work (an incident's owner, an action item's owner, a change's runner or
 * reviewer, the triage's final authority) must be an active user: a disabled one can neither
 * sign in nor be reminded. The one check every verb uses, so the API, the forms and the CLI
 * refuse the same ids; the error names the field.
 */
export async function assertActiveUser(tx: DbOrTx, field: string, id: string): Promise<string> {
  const [u] = await tx
    .select({ id: users.id, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(users.id, id));
  if (!u || u.disabledAt)
    throw new ValidationError(`${field}: no active user with id ${id}`, {
      [field]: 'no such active user',
    });
  return u.id;
}

/**
 * A named user's address while their account is active (an incident's owner, an action item's,
 * the final authority): by the same rule, a disabled user is not reminded. Null for none.
 */
export async function readActiveAddress(db: DbOrTx, userId: string | null): Promise<string | null> {
  if (!userId) return null;
  const [u] = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.disabledAt)));
  return u?.email ?? null;
}
