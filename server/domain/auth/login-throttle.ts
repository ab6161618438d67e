import { and, count, eq, gt, lt, max } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { loginAttempts } from '../../../db/schema/index.ts';
import { RateLimitedError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';

/** Failures older than this are forgotten. */
export const THROTTLE_WINDOW_MS = 15 * 60_000;
/** Failures allowed before each further try has to wait. */
export const FREE_FAILURES_PER_ACCOUNT = 5;
export const FREE_FAILURES_PER_ADDRESS = 20;
const MAX_DELAY_MS = 15 * 60_000;

/**
 * Wait after the n-th failure: nothing for the free ones, then 30 s, doubling up to 15 min.
 * Slowing down (rather than locking out) keeps an attacker from locking the PM out mid-incident.
 */
export function throttleDelayMs(failures: number, free: number): number {
  if (failures < free) return 0;
  return Math.min(MAX_DELAY_MS, 30_000 * 2 ** (failures - free));
}

async function failuresSince(
  db: DbOrTx,
  column: typeof loginAttempts.email | typeof loginAttempts.address,
  value: string,
  since: Date,
) {
  const [row] = await db
    .select({ n: count(), last: max(loginAttempts.attemptedAt) })
    .from(loginAttempts)
    .where(and(eq(column, value), gt(loginAttempts.attemptedAt, since)));
  return { n: row?.n ?? 0, last: row?.last ?? null };
}

/** Throws RateLimitedError while the account or the address has to wait. */
export async function checkLoginThrottle(
  db: DbOrTx,
  email: string,
  address: string,
  now: Date,
): Promise<void> {
  const since = new Date(now.getTime() - THROTTLE_WINDOW_MS);
  const byAccount = await failuresSince(db, loginAttempts.email, email, since);
  const byAddress = await failuresSince(db, loginAttempts.address, address, since);
  const waits = [
    byAccount.last
      ? byAccount.last.getTime() + throttleDelayMs(byAccount.n, FREE_FAILURES_PER_ACCOUNT)
      : 0,
    byAddress.last
      ? byAddress.last.getTime() + throttleDelayMs(byAddress.n, FREE_FAILURES_PER_ADDRESS)
      : 0,
  ];
  const until = Math.max(...waits);
  if (until > now.getTime()) {
    const seconds = Math.ceil((until - now.getTime()) / 1000);
    throw new RateLimitedError(
      `Too many failed sign-ins. Wait ${seconds} seconds and try again.`,
      seconds,
    );
  }
}

export async function recordLoginFailure(
  db: DbOrTx,
  email: string,
  address: string,
  now: Date,
): Promise<void> {
  await db.insert(loginAttempts).values({ id: newId(), email, address, attemptedAt: now });
  // Keep the table small: nothing older than a day matters.
  await db
    .delete(loginAttempts)
    .where(lt(loginAttempts.attemptedAt, new Date(now.getTime() - 24 * 3600_000)));
}

export async function clearLoginFailures(db: DbOrTx, email: string): Promise<void> {
  await db.delete(loginAttempts).where(eq(loginAttempts.email, email));
}
