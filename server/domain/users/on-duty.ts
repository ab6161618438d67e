import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { drills, onDutyUsers, users } from '../../../db/schema/index.ts';
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
 * active, else the people on duty (every admin when nobody is on duty). A drill's incident is
 * kept by the people practising: its active participants, else whoever scheduled it, else every
 * admin; never the on-duty, who would be paged about a pretend incident.
 */
export async function readKeeperAddresses(
  db: DbOrTx,
  inc: { id: string; ownerId: string | null; isDrill: boolean },
): Promise<string[]> {
  const owner = await readActiveAddress(db, inc.ownerId);
  if (owner) return [owner];
  return inc.isDrill ? readDrillKeeperAddresses(db, inc.id) : readOnDutyAddresses(db);
}

async function readDrillKeeperAddresses(db: DbOrTx, incidentId: string): Promise<string[]> {
  const [drill] = await db
    .select({ participantIds: drills.participantIds, createdById: drills.createdById })
    .from(drills)
    .where(eq(drills.incidentId, incidentId));
  if (drill && drill.participantIds.length > 0) {
    const people = await db
      .select({ email: users.email })
      .from(users)
      .where(and(inArray(users.id, drill.participantIds), sql`${users.disabledAt} is null`));
    if (people.length > 0) return people.map((p) => p.email);
  }
  const scheduler = await readActiveAddress(db, drill?.createdById ?? null);
  return scheduler ? [scheduler] : readAdminAddresses(db);
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
