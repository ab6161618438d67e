import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { onDutyUsers, users } from '../../../db/schema/index.ts';
import { readActiveAddress } from './active-user.ts';

/**
 * Who hears of a P0/P1 report and of an owner-less incident's promise: the users on duty, or
 * with nobody on duty every admin at once, so the news never waits for an escalation.
 */
export async function readOnDutyAddresses(db: DbOrTx): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(onDutyUsers)
    .innerJoin(users, eq(users.id, onDutyUsers.userId))
    .where(sql`${users.disabledAt} is null`);
  if (rows.length > 0) return rows.map((r) => r.email);
  return readAdminAddresses(db);
}

/**
 * Who keeps an incident's promises and hears of its alerts: its owner while their account is
 * active, else the people on duty (every admin when nobody is on duty).
 */
export async function readKeeperAddresses(db: DbOrTx, ownerId: string | null): Promise<string[]> {
  const owner = await readActiveAddress(db, ownerId);
  return owner ? [owner] : readOnDutyAddresses(db);
}

export async function readAdminAddresses(db: DbOrTx): Promise<string[]> {
  const admins = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.role, 'admin'), sql`${users.disabledAt} is null`));
  return admins.map((a) => a.email);
}

/** Whether anyone (not disabled) is on duty: the dashboard says so plainly when nobody is. */
export async function readSomeoneOnDuty(db: DbOrTx): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(onDutyUsers)
    .innerJoin(users, eq(users.id, onDutyUsers.userId))
    .where(sql`${users.disabledAt} is null`)
    .limit(1);
  return row !== undefined;
}
