import { count } from 'drizzle-orm';
import { users } from '../../../db/schema/index.ts';
import { hashPassword } from '../auth/password.ts';
import type { SetupLink } from '../auth/setup-link.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, UnauthorizedError, ValidationError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { createUserInput } from './inputs.ts';
import { insertUser } from './create-user.ts';

/** Creates the first admin through the setup link; refused once any user exists. */
export async function createFirstAdmin(
  deps: DomainDeps & { setupLink: SetupLink },
  raw: { token: string; email: string; name?: string; password: string; passwordConfirm: string },
) {
  const now = deps.clock.now();
  if (!deps.setupLink.matches(raw.token, now)) {
    throw new UnauthorizedError(
      'This setup link is not valid (it was used, expired, or Herald restarted). Use the link Herald printed last, or `npx herald user add`.',
    );
  }
  const input = parseInput(createUserInput, {
    email: raw.email,
    name: raw.name ?? '',
    role: 'admin',
    password: raw.password,
  });
  if (raw.password !== raw.passwordConfirm) {
    throw new ValidationError('passwordConfirm: does not match the password', {
      passwordConfirm: 'does not match the password',
    });
  }
  const passwordHash = await hashPassword(input.password);
  const actor: Actor = { type: 'system', id: null, label: 'setup link', role: 'system' };
  const user = await deps.db.transaction(async (tx) => {
    const [row] = await tx.select({ n: count() }).from(users);
    if ((row?.n ?? 0) > 0) throw new ConflictError('Herald already has users; sign in instead.');
    return insertUser(tx, actor, now, {
      email: input.email,
      name: input.name,
      role: 'admin',
      passwordHash,
    });
  });
  deps.setupLink.consume();
  return user;
}
