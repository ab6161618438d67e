import { renderConfirmation } from '../../../emails/confirmation.ts';
import { renderAllClear, renderIncidentUpdate } from '../../../emails/incident-update.ts';
import type { Db } from '../../../db/client.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import { impactLabel } from '../../domain/status/labels.ts';
import { formatDay } from '../../domain/shared/zoned-time.ts';
import {
  followerById,
  followName,
  readFollowUpdateSource,
} from '../../domain/subscribers/incident-follows.ts';
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
  const list = (incidentId: string, title: string) => ({
    id: `incident-${incidentId}.${page.host}`,
    name: `${page.name} ${followName(title)}`,
    unsubscribeUrl: links.unsubscribeUrl,
  });
  if (m.kind === 'follow_confirmation') {
    const row = await followerById(db, followerId);
    if (!row || row.f.state !== 'pending' || row.f.endedAt || !row.f.confirmExpiresAt) return null;
    const rendered = renderConfirmation({
      pageName: page.name,
      listName: followName(row.incident.title),
      confirmUrl: confirmUrl(page.url, confirmToken(page.key, row.f.id, row.f.confirmExpiresAt)),
      expiresOn: formatDay(row.f.confirmExpiresAt, page.timeZone),
    });
    return {
      ...rendered,
      to: row.f.email,
      messageId: m.messageId,
      list: list(row.incident.id, row.incident.title),
    };
  }
  if (!updateId) return null;
  const src = await readFollowUpdateSource(db, followerId, updateId);
  // Checked at send time: someone who stopped following after the update was queued gets nothing.
  if (!src || src.follower.state !== 'confirmed') return null;
  const { incident, update } = src;
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
        body: update.body,
        nextUpdateDueAt: resolved ? null : update.nextUpdateDueAt,
        incidentUrl: `${page.url}/incidents/${incident.id}`,
      },
      now,
    ),
    listName: followName(incident.title),
    reason: `you follow the incident “${incident.title}” until it is resolved`,
    internalNote: null,
    // A follower is anyone who asked on the public page: impact, never the team's priority.
    impactLabel: impactLabel(incident.impact),
    ...links,
  };
  const rendered = resolved ? renderAllClear(data) : renderIncidentUpdate(data);
  return {
    to: src.follower.email,
    ...rendered,
    messageId: m.messageId,
    list: list(incident.id, incident.title),
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
