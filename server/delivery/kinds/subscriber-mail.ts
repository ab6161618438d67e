import { renderConfirmation } from '../../../emails/confirmation.ts';
import type { RenderedEmail } from '../../../emails/layout.ts';
import { renderMaintenanceSwitch } from '../../../emails/maintenance-switch.ts';
import { renderWelcome } from '../../../emails/welcome.ts';
import { readRecipients, type Recipient } from '../../domain/broadcasts/send-context.ts';
import { readComponentNames } from '../../domain/components/read-components.ts';
import { readSignUpListNames } from '../../domain/subscribers/subscriber-reads.ts';
import {
  confirmToken,
  confirmUrl,
  manageToken,
  subscriberLinks,
} from '../../domain/subscribers/tokens.ts';
import { formatClock } from '../../domain/shared/zoned-time.ts';
import { translatorFor } from '../../i18n/catalogue.ts';
import { dateFormatsFor } from '../../i18n/dates.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind, type QueuedMessage, type SendContext } from './email-kind.ts';
import { listHeaders } from './list-headers.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** The double opt-in link, carrying the latest token when it is sent. */
    confirmation: { subscriberId: string };
    /** After confirming: the lists and the components chosen by the time it is sent. */
    welcome: { subscriberId: string };
    /** An internal list's subscriber: the maintenance switch went on or off. */
    maintenance_switch: {
      subscriberId: string;
      switchOn: boolean;
      message: string | null;
      until: string | null;
      by: string;
    };
  }
}

type SubscriberKind = 'confirmation' | 'welcome' | 'maintenance_switch';

/**
 * Renders a message to one subscriber as they are now (their list, language and links), or
 * null when it no longer applies to them.
 */
function toSubscriber<K extends SubscriberKind>(
  render: (
    ctx: SendContext,
    r: Recipient,
    links: ReturnType<typeof subscriberLinks>,
    m: QueuedMessage<K>,
  ) => Promise<RenderedEmail | null> | RenderedEmail | null,
) {
  return emailKind<K>(async (ctx, m): Promise<OutgoingMail | null> => {
    const id = m.payload.subscriberId;
    const r = (await readRecipients(ctx.db, [id])).get(id);
    if (!r) return null;
    const links = subscriberLinks(ctx.page.url, manageToken(ctx.page.key, r.subscriberId));
    const rendered = await render(ctx, r, links, m);
    if (!rendered) return null;
    return {
      ...rendered,
      to: r.email,
      messageId: m.messageId,
      list: listHeaders(ctx.page, r.list, links.unsubscribeUrl),
    };
  });
}

/**
 * The names of every list the address signed up to at once, in the reader's language, and how
 * many they are (the mail says "list" or "lists").
 */
async function signUpLists(
  ctx: SendContext,
  r: Recipient,
): Promise<{ listName: string; lists: number }> {
  const names = [...new Set(await readSignUpListNames(ctx.db, r.subscriberId))];
  return names.length
    ? { listName: translatorFor(r.language).list(names), lists: names.length }
    : { listName: r.list.name, lists: 1 };
}

export const subscriberMailKinds = {
  confirmation: toSubscriber<'confirmation'>(async (ctx, r) => {
    if (r.state !== 'pending' || !r.confirmExpiresAt) return null;
    return renderConfirmation({
      pageName: ctx.page.name,
      ...(await signUpLists(ctx, r)),
      confirmUrl: confirmUrl(
        ctx.page.url,
        confirmToken(ctx.page.key, r.subscriberId, r.confirmExpiresAt),
      ),
      expiresOn: dateFormatsFor(r.language).day(r.confirmExpiresAt, ctx.page.timeZone),
      lang: r.language,
    });
  }),
  welcome: toSubscriber<'welcome'>(async (ctx, r, links) => {
    if (r.state !== 'confirmed') return null;
    return renderWelcome({
      pageName: ctx.page.name,
      ...(await signUpLists(ctx, r)),
      pageUrl: ctx.page.url,
      components: r.componentIds
        ? (await readComponentNames(ctx.db, r.componentIds)).map((c) => c.name)
        : null,
      ...links,
      lang: r.language,
    });
  }),
  maintenance_switch: toSubscriber<'maintenance_switch'>((ctx, r, links, m) => {
    // Someone who left the list since the switch was queued no longer hears of it.
    if (r.state !== 'confirmed') return null;
    const p = m.payload;
    return renderMaintenanceSwitch({
      pageName: ctx.page.name,
      listName: r.list.name,
      on: p.switchOn,
      message: p.message,
      until: p.until ? formatClock(new Date(p.until), 'Etc/UTC', ctx.now) : null,
      by: p.by,
      pageUrl: ctx.page.url,
      ...links,
    });
  }),
};
