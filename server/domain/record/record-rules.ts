import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { users } from '../../../db/schema/index.ts';
import { ValidationError } from '../shared/errors.ts';

/** An owner, runner or reviewer must be an active user; the error names the field. */
export async function assertActiveUser(tx: DbOrTx, field: string, id: string): Promise<string> {
  const [u] = await tx
    .select({ id: users.id, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(users.id, id));
  if (!u || u.disabledAt)
    throw new ValidationError(`${field}: no active user with id ${id}`, {
      [field]: 'is not an active user',
    });
  return u.id;
}
