import { count, eq } from 'drizzle-orm';
import { users } from '../../../db/schema/index.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { readOncePerRequest } from '../../../db/request-reads.ts';

// Reads of users, for the admin lists, the CLI and sign-in; nothing here writes.

export type UserRow = typeof users.$inferSelect;

/** What the audit log and lists may show of a user: never the password hash. */
export function publicUser(u: UserRow) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    disabledAt: u.disabledAt,
    createdAt: u.createdAt,
  };
}

export async function findUserByEmail(deps: DomainDeps, email: string) {
  const [row] = await deps.db
    .select()
    .from(users)
    .where(eq(users.email, email.trim().toLowerCase()));
  return row ?? null;
}

export function listUsers(deps: DomainDeps) {
  return readOncePerRequest(deps.db, 'users', async () =>
    (await deps.db.select().from(users).orderBy(users.email)).map(publicUser),
  );
}

/** Whom work can be handed to (owners, runners, reviewers): the rule `assertActiveUser` keeps. */
export async function listActiveUsers(deps: DomainDeps) {
  return (await listUsers(deps)).filter((u) => !u.disabledAt);
}

export async function countUsers(deps: DomainDeps): Promise<number> {
  const [row] = await deps.db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}
