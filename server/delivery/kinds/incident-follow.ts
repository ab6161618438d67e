import { renderConfirmation } from '../../../emails/confirmation.ts';
import { renderAllClear, renderIncidentUpdate } from '../../../emails/incident-update.ts';
import type { Db } from '../../../db/client.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import { impactWord } from '../../domain/shared/subjects.ts';
import { translatorFor } from '../../i18n/catalogue.ts';
import { dateFormatsFor } from '../../i18n/dates.ts';
import { type Language, parseLanguage } from '../../i18n/languages.ts';
import { followerById, readFollowUpdateSource } from '../../domain/subscribers/incident-follows.ts';
import {
  confirmToken,
  confirmUrl,
  manageToken,
  subscriberLinks,
} from '../../domain/subscribers/tokens.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** The double opt-in link of following one incident by email. */
    follow_confirmation: { followerId: string };
    /** One published update of the incident followed. */
    follow_update: { followerId: string; updateId: string };
  }
}
import { incidentEmailData } from './incident-data.ts';

/**
 * The emails of following one incident: the double opt-in (the list subscription's template,
 * naming the incident) and each update (the list broadcast's template, public text only, never
 * the internal note). Null when it no longer applies: a follower who left or was confirmed
 * meanwhile, an update that is gone.
 */
export async function composeFollowMail(
  db: Db,
  page: PageContext,
  m: {
    kind: 'follow_confirmation' | 'follow_update';
    toAddress: string;
    payload: { followerId: string; updateId?: string };
    messageId: string;
  },
  now: Date,
): Promise<OutgoingMail | null> {
  const { followerId, updateId } = m.payload;
  const links = subscriberLinks(page.url, manageToken(page.key, followerId));
  // The language of the page they followed from; followers from before it was recorded read
  // the page's default.
  const languageOf = (f: { language: string | null }): Language =>
    parseLanguage(f.language) ?? page.language;
  const followName = (title: string, lang: Language) =>
    translatorFor(lang).t('mail.followName', { title });
  const list = (incidentId: string, title: string, lang: Language) => ({
    id: `incident-${incidentId}.${page.host}`,
    name: `${page.name} ${followName(title, lang)}`,
    unsubscribeUrl: links.unsubscribeUrl,
  });
  if (m.kind === 'follow_confirmation') {
    const row = await followerById(db, followerId);
    if (!row || row.f.state !== 'pending' || row.f.endedAt || !row.f.confirmExpiresAt) return null;
    const lang = languageOf(row.f);
    const rendered = renderConfirmation({
      pageName: page.name,
      listName: followName(row.incident.title, lang),
      incident: row.incident.title,
      confirmUrl: confirmUrl(page.url, confirmToken(page.key, row.f.id, row.f.confirmExpiresAt)),
      expiresOn: dateFormatsFor(lang).day(row.f.confirmExpiresAt, page.timeZone),
      lang,
    });
    return {
      ...rendered,
      to: row.f.email,
      messageId: m.messageId,
      list: list(row.incident.id, row.incident.title, lang),
    };
  }
  if (!updateId) return null;
  const src = await readFollowUpdateSource(db, followerId, updateId);
  // Checked at send time: someone who stopped following after the update was queued gets nothing.
  if (!src || src.follower.state !== 'confirmed') return null;
  const { incident, update } = src;
  const lang = languageOf(src.follower);
  const resolved = update.status === 'resolved';
  const data = {
    ...incidentEmailData(
      page,
      {
        priority: update.priority,
        title: incident.title,
        isDrill: false,
        status: update.status,
        affected: src.affected,
        // The PM's own words in the reader's language when they wrote them, else as written.
        body: update.translations?.[lang] ?? update.body,
        nextUpdateDueAt: resolved ? null : update.nextUpdateDueAt,
        incidentUrl: `${page.url}/incidents/${incident.id}`,
      },
      now,
      lang,
    ),
    listName: followName(incident.title, lang),
    reason: translatorFor(lang).t('mail.followReason', { title: incident.title }),
    internalNote: null,
    // A follower is anyone who asked on the public page: impact, never the team's priority.
    impactLabel: impactWord(incident.impact, lang),
    ...links,
  };
  const rendered = resolved ? renderAllClear(data) : renderIncidentUpdate(data);
  return {
    to: src.follower.email,
    ...rendered,
    messageId: m.messageId,
    list: list(incident.id, incident.title, lang),
  };
}

export const followKinds = {
  follow_confirmation: emailKind<'follow_confirmation'>((ctx, m) =>
    composeFollowMail(ctx.db, ctx.page, m, ctx.now),
  ),
  follow_update: emailKind<'follow_update'>((ctx, m) =>
    composeFollowMail(ctx.db, ctx.page, m, ctx.now),
  ),
};
