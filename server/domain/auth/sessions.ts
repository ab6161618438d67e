import { eq, lt } from 'drizzle-orm';
import { sessions, users } from '../../../db/schema/index.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { unlessDatabaseRefuses } from '../shared/database-busy.ts';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.ts';
import { getSettings } from '../settings/get-settings.ts';
import { newId, newSecret } from '../shared/ids.ts';
import { isKnownDevice, knownDeviceToken } from './known-device.ts';
import { checkLoginThrottle, clearLoginFailures, recordLoginFailure } from './login-throttle.ts';
import { verifyPassword } from './password.ts';
import { sha256 } from './secrets.ts';

/** A session ends after this long without a request... */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** ...and in any case this long after sign-in. */
export const SESSION_MAX_MS = 14 * 24 * 3600_000;
/** last_seen is written at most this often, so page views do not all write. */
const TOUCH_EVERY_MS = 60_000;

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'responder' | 'viewer';
}

export interface ActiveSession {
  sessionId: string;
  /** How this session was opened: a local password or the company's provider. */
  method: 'password' | 'oidc';
  csrfToken: string;
  expiresAt: Date;
  user: SessionUser;
  actor: Actor;
}

export function userActor(u: SessionUser): Actor {
  return { type: 'user', id: u.id, label: u.email, role: u.role };
}

/**
 * Checks email and password (slowed down per client, per account and client, and far later per
 * account, after failures) and opens a session. Returns the cookie value, which is stored only
 * as its SHA-256, and a fresh known-device token for this browser (`knownDevice` is the one it
 * sent, if any).
 */
export async function login(
  deps: DomainDeps,
  input: { email: string; password: string; address: string; knownDevice?: string | null },
) {
  const email = String(input.email ?? '')
    .trim()
    .toLowerCase();
  const password = String(input.password ?? '');
  const now = deps.clock.now();
  if (!(await getSettings(deps.db)).localPasswords)
    throw new ForbiddenError(
      'Local passwords are switched off here: sign in with single sign-on. (An operator can switch them back on with `npx herald passwords on`.)',
    );
  await checkLoginThrottle(deps.db, email, input.address, now, {
    knownDevice: await isKnownDevice(deps, email, input.knownDevice, now),
  });
  const [user] = email ? await deps.db.select().from(users).where(eq(users.email, email)) : [];
  const ok = await verifyPassword(password, user?.passwordHash ?? null);
  if (!user || !ok || user.disabledAt) {
    await recordLoginFailure(deps.db, email, input.address, now);
    throw new UnauthorizedError('Wrong email or password.');
  }
  const token = newSecret();
  const row = {
    id: newId(),
    tokenHash: sha256(token),
    userId: user.id,
    csrfToken: newSecret(),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + SESSION_IDLE_MS),
  };
  await deps.db.transaction(async (tx) => {
    await clearLoginFailures(tx, email, input.address);
    await tx.insert(sessions).values(row);
    // Expired sessions of anyone are cleared here, which is often enough to bound the table.
    await tx.delete(sessions).where(lt(sessions.expiresAt, now));
  });
  return {
    token,
    expiresAt: row.expiresAt,
    userId: user.id,
    knownDevice: await knownDeviceToken(deps, email, now),
  };
}

/** Opens a session for a user without a password check (after first-admin setup). */
export async function openSession(deps: DomainDeps, userId: string) {
  const now = deps.clock.now();
  const token = newSecret();
  const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
  await deps.db.insert(sessions).values({
    id: newId(),
    tokenHash: sha256(token),
    userId,
    csrfToken: newSecret(),
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
  });
  return { token, expiresAt };
}

/** The session behind a cookie value, or null when unknown, expired or the user is disabled. */
export async function resolveSession(
  deps: DomainDeps,
  token: string | undefined | null,
): Promise<ActiveSession | null> {
  if (!token || token.length > 200) return null;
  const now = deps.clock.now();
  const [row] = await deps.db
    .select({ s: sessions, u: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, sha256(token)));
  if (!row) return null;
  if (row.s.expiresAt.getTime() <= now.getTime() || row.u.disabledAt) {
    await deps.db.delete(sessions).where(eq(sessions.id, row.s.id));
    return null;
  }
  let expiresAt = row.s.expiresAt;
  if (now.getTime() - row.s.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    const extended = new Date(
      Math.min(now.getTime() + SESSION_IDLE_MS, row.s.createdAt.getTime() + SESSION_MAX_MS),
    );
    // A busy or full database must not sign anyone out: the session keeps its old expiry.
    const touched = await unlessDatabaseRefuses(
      deps.db
        .update(sessions)
        .set({ lastSeenAt: now, expiresAt: extended })
        .where(eq(sessions.id, row.s.id)),
    );
    if (touched) expiresAt = extended;
  }
  const user: SessionUser = {
    id: row.u.id,
    email: row.u.email,
    name: row.u.name,
    role: row.u.role,
  };
  return {
    sessionId: row.s.id,
    method: row.s.method,
    csrfToken: row.s.csrfToken,
    expiresAt,
    user,
    actor: userActor(user),
  };
}

export async function logout(deps: DomainDeps, token: string | undefined | null): Promise<void> {
  if (!token) return;
  await deps.db.delete(sessions).where(eq(sessions.tokenHash, sha256(token)));
}
