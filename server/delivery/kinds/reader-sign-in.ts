import { renderReaderSignIn } from '../../../emails/reader-sign-in.ts';
import type { Db } from '../../../db/client.ts';
import {
  readerLinkToken,
  readerLinkUrl,
  readReaderLinkForMail,
} from '../../domain/auth/reader-sign-in.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';
import { translatorFor } from '../../i18n/catalogue.ts';
import { dateFormatsFor } from '../../i18n/dates.ts';
import { parseLanguage } from '../../i18n/languages.ts';
import { headerText } from '../../domain/shared/subjects.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** A member of a named audience asked for a one-time sign-in link to its page. */
    reader_sign_in: { readerLinkId: string; language?: string; host?: string };
  }
}

/**
 * A reader's one-time sign-in link, rendered at send time; skipped (null) once the link was
 * used, expired or its audience is gone.
 */
export async function composeReaderSignIn(
  db: Db,
  page: PageContext,
  m: {
    toAddress: string;
    payload: { readerLinkId: string; language?: string; host?: string };
    messageId: string;
  },
  now: Date,
): Promise<OutgoingMail | null> {
  const row = await readReaderLinkForMail(db, m.payload.readerLinkId);
  if (!row || row.link.usedAt || row.link.expiresAt.getTime() <= now.getTime()) return null;
  const token = readerLinkToken(page.key, row.link.id, row.link.expiresAt);
  // The language of the sign-in page it was asked from; links asked before it was recorded
  // read the page's default.
  const lang = parseLanguage(m.payload.language) ?? page.language;
  const tr = translatorFor(lang);
  const rendered = renderReaderSignIn({
    tr,
    subject: tr.t('signin.to', { audience: headerText(row.audience.name) }),
    pageName: page.name,
    audienceName: row.audience.name,
    // On the audience's own host name when it was asked for there (recorded with the request).
    signInUrl: readerLinkUrl(page.url, row.audience.slug, token, m.payload.host),
    expiresAt: dateFormatsFor(lang).short(row.link.expiresAt, 'Etc/UTC'),
  });
  return { ...rendered, to: m.toAddress, messageId: m.messageId };
}

export const readerSignInKinds = {
  reader_sign_in: emailKind<'reader_sign_in'>((ctx, m) =>
    composeReaderSignIn(ctx.db, ctx.page, m, ctx.now),
  ),
};
