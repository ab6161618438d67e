import { createHmac } from 'node:crypto';
import { and, eq, gt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../../db/client.ts';
import { audiences, readerSignInLinks } from '../../../db/schema/index.ts';
import { findAudienceBySlug, isMember } from '../audiences/manage-audiences.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { LinkNotValidError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { mailboxDomain, mailboxKey } from '../shared/mailbox.ts';
import { parseInput } from '../shared/parse.ts';
import { emailInput, languageInput, tokenInput } from '../subscribers/inputs.ts';
import { hashToken, linkKey } from '../subscribers/tokens.ts';
import { openReaderSession } from './reader-sessions.ts';

/** A sign-in link works for an hour: long enough to reach the inbox, short for a forwarded mail. */
export const READER_LINK_TTL_MS = 3600_000;
/** Sign-in links one inbox is sent per hour, whoever asks, for every audience together. */
export const READER_LINKS_PER_MAILBOX_PER_HOUR = 5;

const requestInput = z.strictObject({
  slug: z.string().max(100),
  email: emailInput,
  /** The language of the sign-in page: the link mail comes in it. */
  language: languageInput.optional(),
  /**
   * The audience's own host name (with its port) when the link was asked for there: the link
   * points at it, since the cookie it sets is only sent to the host it was set on.
   */
  linkHost: z
    .string()
    .max(260)
    .regex(/^[a-z0-9.-]+(?::\d{1,5})?$/)
    .optional(),
});
const useInput = z.strictObject({ slug: z.string().max(100), token: tokenInput });

/** Behind the one-time sign-in link: an HMAC of the row, so the outbox renders it at send time. */
export function readerLinkToken(key: string, linkId: string, expiresAt: Date): string {
  return createHmac('sha256', key)
    .update(`reader-link:${linkId}:${expiresAt.getTime()}`)
    .digest('base64url');
}

/**
 * The sign-in link: on the host it was asked on when that is the audience's own host name
 * (`host`), with the page's scheme; else on the public URL.
 */
export const readerLinkUrl = (
  baseUrl: string,
  slug: string,
  token: string,
  host?: string | undefined,
) => `${host ? `${new URL(baseUrl).protocol}//${host}` : baseUrl}/a/${slug}/sign-in/${token}`;

/**
 * Someone asks for a sign-in link to an audience page. A member gets one by email; anyone else
 * gets nothing, and the answer is the same either way (also when the inbox's budget is spent),
 * so the form never tells who belongs to an audience or that the audience exists.
 */
export async function requestReaderSignIn(deps: DomainDeps, raw: z.input<typeof requestInput>) {
  const { slug, email, language, linkHost } = parseInput(requestInput, raw);
  const now = deps.clock.now();
  const audience = await findAudienceBySlug(deps.db, slug);
  if (!audience || !isMember(audience, { email, viaCompanyIdp: false })) return { email };
  const key = await linkKey(deps.db, deps.config);
  await deps.db.transaction(async (tx) => {
    const sent = await linksSentTo(tx, email, new Date(now.getTime() - 3600_000));
    if (sent >= READER_LINKS_PER_MAILBOX_PER_HOUR) return;
    const id = newId();
    const expiresAt = new Date(now.getTime() + READER_LINK_TTL_MS);
    await tx.insert(readerSignInLinks).values({
      id,
      audienceId: audience.id,
      email,
      tokenHash: hashToken(readerLinkToken(key, id, expiresAt)),
      expiresAt,
      createdAt: now,
    });
    await enqueueMessage(
      tx,
      deps.config,
      {
        kind: 'reader_sign_in',
        to: email,
        // The mail is rendered at send time, in the language the link was asked in.
        payload: {
          readerLinkId: id,
          ...(language ? { language } : {}),
          ...(linkHost ? { host: linkHost } : {}),
        },
      },
      now,
    );
  });
  return { email };
}

/** Links sent to one inbox (mailboxKey: `someone+1@` and `someone+2@` share a budget) since `since`. */
async function linksSentTo(db: DbOrTx, email: string, since: Date): Promise<number> {
  const key = mailboxKey(email);
  const domain = mailboxDomain(key);
  const rows = await db
    .select({ email: readerSignInLinks.email })
    .from(readerSignInLinks)
    .where(
      and(
        sql`lower(${readerSignInLinks.email}) LIKE ${`%@${domain === 'gmail.com' ? '%' : domain}`}`,
        gt(readerSignInLinks.createdAt, since),
      ),
    );
  return rows.filter((r) => mailboxKey(r.email) === key).length;
}

const linkProblem =
  'This sign-in link is not valid any more: it was used, it expired (links work for an hour) or it belongs to another page. Ask for a new one on the sign-in page.';

async function findLink(db: DbOrTx, slug: string, token: string) {
  const [row] = await db
    .select({ link: readerSignInLinks, audience: audiences })
    .from(readerSignInLinks)
    .innerJoin(audiences, eq(audiences.id, readerSignInLinks.audienceId))
    .where(eq(readerSignInLinks.tokenHash, hashToken(token)));
  return row && row.audience.slug === slug ? row : null;
}

function usable(
  row: Awaited<ReturnType<typeof findLink>>,
  now: Date,
): row is NonNullable<typeof row> {
  return (
    !!row &&
    !row.link.usedAt &&
    row.link.expiresAt.getTime() > now.getTime() &&
    // Membership is checked again: an address removed since the link was sent gets nothing.
    isMember(row.audience, { email: row.link.email, viaCompanyIdp: false })
  );
}

/** What the link's page shows before the button is pressed (nothing changes on GET). */
export async function readReaderSignInLink(deps: DomainDeps, raw: { slug: string; token: string }) {
  const { slug, token } = parseInput(useInput, raw);
  const row = await findLink(deps.db, slug, token);
  if (!usable(row, deps.clock.now())) throw new LinkNotValidError(linkProblem);
  return { email: row.link.email, audienceName: row.audience.name };
}

/**
 * Pressing the button on the link's page: uses the link once and opens a reader session for
 * its address. Of two presses racing on one link, only the first signs in.
 */
export async function useReaderSignInLink(deps: DomainDeps, raw: { slug: string; token: string }) {
  const { slug, token } = parseInput(useInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const row = await findLink(tx, slug, token);
    if (!usable(row, now)) throw new LinkNotValidError(linkProblem);
    const used = await tx
      .update(readerSignInLinks)
      .set({ usedAt: now })
      .where(and(eq(readerSignInLinks.id, row.link.id), sql`${readerSignInLinks.usedAt} IS NULL`))
      .returning({ id: readerSignInLinks.id });
    if (used.length !== 1) throw new LinkNotValidError(linkProblem);
    return openReaderSession(tx, row.link.email, 'email', now);
  });
}

/** The link row for the outbox, which renders the email at send time. */
export async function readReaderLinkForMail(db: DbOrTx, id: string) {
  const [row] = await db
    .select({ link: readerSignInLinks, audience: audiences })
    .from(readerSignInLinks)
    .innerJoin(audiences, eq(audiences.id, readerSignInLinks.audienceId))
    .where(eq(readerSignInLinks.id, id));
  return row ?? null;
}
