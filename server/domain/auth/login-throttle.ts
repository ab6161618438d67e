import { and, count, eq, gt, lt, max, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { loginAttempts } from '../../../db/schema/index.ts';
import { RateLimitedError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';

/** Failures older than this are forgotten. */
export const THROTTLE_WINDOW_MS = 15 * 60_000;
/** Failures one client may make for one account before each further try has to wait. */
export const FREE_FAILURES_PER_ACCOUNT_AND_CLIENT = 5;
/** Failures one client may make across all accounts (password spraying). */
export const FREE_FAILURES_PER_CLIENT = 20;
/**
 * Failures for one account from everywhere: caps a distributed guess. It slows only clients
 * with failures of their own for the account, so guessing from other addresses never keeps the
 * owner out.
 */
export const FREE_FAILURES_PER_ACCOUNT = 100;
const MAX_DELAY_MS = 15 * 60_000;

/**
 * Wait after the n-th failure: nothing for the free ones, then 30 s, doubling up to 15 min.
 * Slowing down (rather than locking out) keeps an attacker from locking the PM out mid-incident.
 */
export function throttleDelayMs(failures: number, free: number): number {
  if (failures < free) return 0;
  return Math.min(MAX_DELAY_MS, 30_000 * 2 ** (failures - free));
}

async function failuresSince(db: DbOrTx, where: SQL | undefined, since: Date) {
  const [row] = await db
    .select({ n: count(), last: max(loginAttempts.attemptedAt) })
    .from(loginAttempts)
    .where(and(where, gt(loginAttempts.attemptedAt, since)));
  return { n: row?.n ?? 0, last: row?.last ?? null };
}

/**
 * Throws RateLimitedError while this client has to wait: for this account from this client,
 * for any account from this client, or (far higher) for this account from everywhere. The last
 * is the only one others can raise, so it slows only a client with failures of its own for the
 * account: whoever types the right password from a browser and address that has not been
 * guessing gets in, however many addresses guess at the account meanwhile. A guessing client
 * still meets it after its first miss. A `knownDevice` (a browser that signed in to the account
 * before, known-device.ts) never meets it, so the owner's own typo does not lock them out either.
 */
export async function checkLoginThrottle(
  db: DbOrTx,
  email: string,
  address: string,
  now: Date,
  opts: { message?: string; knownDevice?: boolean } = {},
): Promise<void> {
  const message = opts.message ?? 'Too many failed sign-ins.';
  const since = new Date(now.getTime() - THROTTLE_WINDOW_MS);
  const own = await failuresSince(
    db,
    and(eq(loginAttempts.email, email), eq(loginAttempts.address, address)),
    since,
  );
  const checks = [
    { failures: own, free: FREE_FAILURES_PER_ACCOUNT_AND_CLIENT },
    {
      failures: await failuresSince(db, eq(loginAttempts.address, address), since),
      free: FREE_FAILURES_PER_CLIENT,
    },
  ];
  if (own.n > 0 && !opts.knownDevice)
    checks.push({
      failures: await failuresSince(db, eq(loginAttempts.email, email), since),
      free: FREE_FAILURES_PER_ACCOUNT,
    });
  let until = 0;
  for (const { failures: f, free } of checks)
    if (f.last) until = Math.max(until, f.last.getTime() + throttleDelayMs(f.n, free));
  if (until > now.getTime()) {
    const seconds = Math.ceil((until - now.getTime()) / 1000);
    throw new RateLimitedError(`${message} Wait ${seconds} seconds and try again.`, seconds);
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

/**
 * A successful sign-in forgives this client's failures for the account; failures from other
 * addresses stay counted, so a sign-in by the owner never resets an attacker's budget.
 */
export async function clearLoginFailures(
  db: DbOrTx,
  email: string,
  address: string,
): Promise<void> {
  await db
    .delete(loginAttempts)
    .where(and(eq(loginAttempts.email, email), eq(loginAttempts.address, address)));
}
