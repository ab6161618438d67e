import { renderLookBack } from '../../../emails/look-back.ts';
import type { Db } from '../../../db/client.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import type { LookBackFigures } from '../../domain/record/look-back-figures.ts';
import { readLookBacks } from '../../domain/record/send-look-back.ts';
import { formatDay } from '../../domain/shared/zoned-time.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** An admin: the periodic review of the incident process. */
    look_back: { lookBackId: string };
  }
}

/** One admin's copy of a look back: the figures as written at the end of its period. */
export async function composeLookBack(
  db: Db,
  page: PageContext,
  to: string,
  payload: { lookBackId: string },
  messageId: string,
): Promise<OutgoingMail | null> {
  const [row] = await readLookBacks({ db }, payload.lookBackId);
  if (!row?.figures) return null;
  const rendered = renderLookBack({
    pageName: page.name,
    fromDay: formatDay(row.periodStart, page.timeZone),
    toDay: formatDay(row.periodEnd, page.timeZone),
    figures: row.figures as LookBackFigures,
    pageUrl: `${page.url}/admin/look-back`,
  });
  return { to, ...rendered, messageId };
}

export const lookBackKinds = {
  look_back: emailKind<'look_back'>((ctx, m) =>
    composeLookBack(ctx.db, ctx.page, m.toAddress, m.payload, m.messageId),
  ),
};
