import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DomainDeps } from '../shared/deps.ts';
import { linkKey } from '../subscribers/tokens.ts';

/** How long a browser stays known after a sign-in with the account's password. */
export const KNOWN_DEVICE_MS = 30 * 24 * 3600_000;

// A browser that has signed in to an account with its password carries a token saying so:
// `<expiry>.<HMAC of the account's email and the expiry>`, keyed by SECRET_KEY (or the database's
// link secret). It exempts that browser from the failures others make for the account (see
// login-throttle.ts), never from its own: it proves only that it signed in before.

function mac(key: string, email: string, expiresAt: number): string {
  return createHmac('sha256', key).update(`known-device:${email}:${expiresAt}`).digest('base64url');
}

export async function knownDeviceToken(deps: DomainDeps, email: string, now: Date) {
  const expiresAt = now.getTime() + KNOWN_DEVICE_MS;
  const key = await linkKey(deps.db, deps.config);
  return `${expiresAt.toString(36)}.${mac(key, email, expiresAt)}`;
}

export async function isKnownDevice(
  deps: DomainDeps,
  email: string,
  token: string | null | undefined,
  now: Date,
): Promise<boolean> {
  if (!token || token.length > 200) return false;
  const [expiry, sig] = token.split('.');
  const expiresAt = parseInt(expiry ?? '', 36);
  if (!sig || !Number.isSafeInteger(expiresAt) || expiresAt <= now.getTime()) return false;
  const expected = Buffer.from(mac(await linkKey(deps.db, deps.config), email, expiresAt));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
