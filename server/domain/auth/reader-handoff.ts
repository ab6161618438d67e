import { and, eq, gt, lt } from 'drizzle-orm';
import { readerHandoffs, readerSessions } from '../../../db/schema/index.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { newId, newSecret } from '../shared/ids.ts';
import { sha256 } from './secrets.ts';

// The company's provider knows one address to answer at, on the public host. A reader who
// signs in from an audience's own host name must end up with the cookie on that host, so the
// public host opens the session and hands it over: a one-time token, valid for a minute, bound
// to the audience (only its host may take it) and to the browser that started the sign-in
// there (the cookie it was given at the start). Whoever reads the URL on its way (a log, a
// proxy) cannot use it from another browser.

/** A handoff must be taken within this long: the browser is redirected at once. */
export const READER_HANDOFF_TTL_MS = 60_000;

/**
 * Keeps an opened reader session for the audience's host to take; returns the token for the
 * handoff URL (only its hash is stored). Expired handoffs are cleared here, bounding the table.
 */
export async function handOffReaderSession(
  deps: DomainDeps,
  h: { sessionToken: string; browserHash: string; audienceSlug: string },
): Promise<string> {
  const now = deps.clock.now();
  const token = newSecret();
  await deps.db.transaction(async (tx) => {
    await tx.delete(readerHandoffs).where(lt(readerHandoffs.expiresAt, now));
    await tx.insert(readerHandoffs).values({
      id: newId(),
      tokenHash: sha256(token),
      browserHash: h.browserHash,
      audienceSlug: h.audienceSlug,
      sessionTokenHash: sha256(h.sessionToken),
      createdAt: now,
      expiresAt: new Date(now.getTime() + READER_HANDOFF_TTL_MS),
    });
  });
  return token;
}

/**
 * The audience's host takes a handoff, once: with the cookie of the browser that started the
 * sign-in, on the host of the audience it was made for. The session gets a fresh token (the one
 * the public host made never reaches a browser), returned for this host's cookie. Null for an
 * unknown, used or expired token, another browser or another audience; a failed attempt uses
 * the handoff up, so a guessed or stolen token is worth one try.
 */
export async function takeReaderHandoff(
  deps: DomainDeps,
  h: { token: string | null | undefined; browser: string | null | undefined; audienceSlug: string },
): Promise<{ token: string; expiresAt: Date } | null> {
  if (!h.token || h.token.length > 200 || !h.browser || h.browser.length > 200) return null;
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .delete(readerHandoffs)
      .where(eq(readerHandoffs.tokenHash, sha256(h.token!)))
      .returning();
    if (
      !row ||
      row.expiresAt.getTime() <= now.getTime() ||
      row.browserHash !== sha256(h.browser!) ||
      row.audienceSlug !== h.audienceSlug
    )
      return null;
    const fresh = newSecret();
    const [session] = await tx
      .update(readerSessions)
      .set({ tokenHash: sha256(fresh), lastSeenAt: now })
      .where(
        and(eq(readerSessions.tokenHash, row.sessionTokenHash), gt(readerSessions.expiresAt, now)),
      )
      .returning({ expiresAt: readerSessions.expiresAt });
    return session ? { token: fresh, expiresAt: session.expiresAt } : null;
  });
}
