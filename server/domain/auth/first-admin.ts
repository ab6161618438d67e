import { count } from 'drizzle-orm';
import { users } from '../../../db/schema/index.ts';
import { hashPassword } from './password.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, UnauthorizedError, ValidationError } from '../shared/errors.ts';
import { newId, newSecret } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { createUserInput } from '../users/inputs.ts';
import { publicUser } from '../users/create-user.ts';
import { sameSecret, sha256 } from './secrets.ts';

export const SETUP_LINK_TTL_MS = 24 * 3600_000;

/**
 * The one-time setup link printed at start-up while no user exists. Only its hash is held, in
 * this process's memory: the link needs no table, dies with the process (a restart prints a new
 * one) and stops working once any user exists, which is checked in the creating transaction.
 */
export class SetupLink {
  private hash: string | null = null;
  private expiresAt = 0;

  /** Issues a fresh token (the old one stops working) and returns it. */
  issue(now: Date): string {
    const token = newSecret();
    this.hash = sha256(token);
    this.expiresAt = now.getTime() + SETUP_LINK_TTL_MS;
    return token;
  }

  matches(token: string | null | undefined, now: Date): boolean {
    return (
      !!token &&
      this.hash !== null &&
      now.getTime() < this.expiresAt &&
      sameSecret(sha256(token), this.hash)
    );
  }

  consume(): void {
    this.hash = null;
  }
}

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
    const u = {
      id: newId(),
      email: input.email,
      name: input.name,
      role: 'admin' as const,
      passwordHash,
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(users).values(u);
    await recordAudit(tx, actor, now, {
      action: 'user.create',
      objectType: 'user',
      objectId: u.id,
      after: publicUser(u),
    });
    return publicUser(u);
  });
  deps.setupLink.consume();
  return user;
}
