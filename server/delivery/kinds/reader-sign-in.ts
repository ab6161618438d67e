import { renderReaderSignIn } from '../../../emails/reader-sign-in.ts';
import type { Db } from '../../../db/client.ts';
import {
  readerLinkToken,
  readerLinkUrl,
  readReaderLinkForMail,
} from '../../domain/auth/reader-sign-in.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import { formatShort } from '../../domain/shared/zoned-time.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** A member of a named audience asked for a one-time sign-in link to its page. */
    reader_sign_in: { readerLinkId: string };
  }
}

/**
 * A reader's one-time sign-in link, rendered at send time; skipped (null) once the link was
 * used, expired or its audience is gone.
 */
export async function composeReaderSignIn(
  db: Db,
  page: PageContext,
  m: { toAddress: string; payload: { readerLinkId: string }; messageId: string },
  now: Date,
): Promise<OutgoingMail | null> {
  const row = await readReaderLinkForMail(db, m.payload.readerLinkId);
  if (!row || row.link.usedAt || row.link.expiresAt.getTime() <= now.getTime()) return null;
  const token = readerLinkToken(page.key, row.link.id, row.link.expiresAt);
  const rendered = renderReaderSignIn({
    subject: `Sign in to the ${row.audience.name} status page`,
    pageName: page.name,
    audienceName: row.audience.name,
    signInUrl: readerLinkUrl(page.url, row.audience.slug, token),
    expiresAt: formatShort(row.link.expiresAt, 'Etc/UTC'),
  });
  return { ...rendered, to: m.toAddress, messageId: m.messageId };
}

export const readerSignInKinds = {
  reader_sign_in: emailKind<'reader_sign_in'>((ctx, m) =>
    composeReaderSignIn(ctx.db, ctx.page, m, ctx.now),
  ),
};
