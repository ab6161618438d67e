import { eq, lt } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { readerSessions, type ReaderSignInMethod } from '../../../db/schema/index.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { unlessDatabaseRefuses } from '../shared/database-busy.ts';
import { newId, newSecret } from '../shared/ids.ts';
import { sha256 } from './secrets.ts';

// A reader session is a verified address, not a Herald account: it carries no role and no
// actor, so nothing under /admin or /api/admin can accept it; audience pages check membership
// of the address on every request, so a removed member loses the page at once.

/** A reader session ends after this long without a request... */
export const READER_SESSION_IDLE_MS = 7 * 24 * 3600_000;
/** ...and in any case this long after sign-in, when the address is proved again. */
export const READER_SESSION_MAX_MS = 30 * 24 * 3600_000;
const TOUCH_EVERY_MS = 60_000;

export interface ReaderSession {
  id: string;
  /** The verified address, lower-case. */
  email: string;
  /** `oidc`: one of the company's people through its provider (counts for "everyone signed in"). */
  method: ReaderSignInMethod;
  expiresAt: Date;
}

/** Opens a reader session in the caller's transaction; returns the cookie value (stored hashed). */
export async function openReaderSession(
  tx: DbOrTx,
  email: string,
  method: ReaderSignInMethod,
  now: Date,
) {
  const token = newSecret();
  const expiresAt = new Date(now.getTime() + READER_SESSION_IDLE_MS);
  await tx.insert(readerSessions).values({
    id: newId(),
    tokenHash: sha256(token),
    email: email.toLowerCase(),
    method,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
  });
  // Expired sessions of anyone are cleared here, which is often enough to bound the table.
  await tx.delete(readerSessions).where(lt(readerSessions.expiresAt, now));
  return { token, expiresAt };
}

/** The reader session behind a cookie value, or null when unknown or expired. */
export async function resolveReaderSession(
  deps: DomainDeps,
  token: string | undefined | null,
): Promise<ReaderSession | null> {
  if (!token || token.length > 200) return null;
  const now = deps.clock.now();
  const [row] = await deps.db
    .select()
    .from(readerSessions)
    .where(eq(readerSessions.tokenHash, sha256(token)));
  if (!row) return null;
  if (row.expiresAt.getTime() <= now.getTime()) {
    await unlessDatabaseRefuses(
      deps.db.delete(readerSessions).where(eq(readerSessions.id, row.id)),
    );
    return null;
  }
  let expiresAt = row.expiresAt;
  if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    const extended = new Date(
      Math.min(
        now.getTime() + READER_SESSION_IDLE_MS,
        row.createdAt.getTime() + READER_SESSION_MAX_MS,
      ),
    );
    const touched = await unlessDatabaseRefuses(
      deps.db
        .update(readerSessions)
        .set({ lastSeenAt: now, expiresAt: extended })
        .where(eq(readerSessions.id, row.id)),
    );
    if (touched) expiresAt = extended;
  }
  return { id: row.id, email: row.email, method: row.method, expiresAt };
}

export async function endReaderSession(deps: DomainDeps, token: string | undefined | null) {
  if (!token || token.length > 200) return;
  await deps.db.delete(readerSessions).where(eq(readerSessions.tokenHash, sha256(token)));
}
