import { randomBytes } from 'node:crypto';
import { renderConfirmation } from '../../../emails/confirmation.ts';
import {
  type IncidentEmailData,
  renderAllClear,
  renderIncidentUpdate,
} from '../../../emails/incident-update.ts';
import type { RenderedEmail } from '../../../emails/layout.ts';
import { renderWelcome } from '../../../emails/welcome.ts';
import { impactWord, listSubject } from '../../domain/shared/subjects.ts';
import { type MessageKey, translatorFor } from '../../i18n/catalogue.ts';
import { readSignUpListNames } from '../../domain/subscribers/subscriber-reads.ts';
import { formatClock } from '../../domain/shared/zoned-time.ts';
import { renderMaintenanceSwitch } from '../../../emails/maintenance-switch.ts';
import type { Db } from '../../../db/client.ts';
import type { OutboxPayload } from '../../domain/outbox/enqueue-message.ts';
import {
  type BroadcastSource,
  type PageContext,
  readIncident,
  readRecipients,
  type Recipient,
} from '../../domain/broadcasts/send-context.ts';
import { readComponentNames } from '../../domain/components/read-components.ts';
import { dateFormatsFor } from '../../i18n/dates.ts';
import type { Language } from '../../i18n/languages.ts';
import {
  confirmToken,
  confirmUrl,
  manageToken,
  subscriberLinks,
} from '../../domain/subscribers/tokens.ts';
import type { OutgoingMail, SharedCopy } from '../outgoing-mail.ts';
import { incidentEmailData } from './incident-data.ts';
import { composeMaintenanceMail } from './maintenance.ts';
import { composePromiseReminder } from './promise-reminder.ts';
import { composeReportMail } from './reports.ts';
import { composeDrillMail } from './drills.ts';
import { composeChangeReviewMail } from './change-review.ts';
import { supportScriptTemplate, withSupportScript } from '../../domain/support/support-script.ts';
import { isReportOutboxKind } from '../../domain/outbox/report-mail-kinds.ts';
import { internalNoteWithRecord } from './record-notes.ts';
import { composeIncidentNoticeMail } from './incident-notice.ts';
import { composeActionItemReminder } from './action-item-reminder.ts';
import { composeLookBack } from './look-back.ts';
import { composeFollowMail } from './incident-follow.ts';
import { isFollowOutboxKind } from '../../domain/outbox/follow-mail-kinds.ts';

// Turns queued rows into ready-to-send messages. Rendering happens at send time, from what
// domain/broadcasts/send-context.ts reads then. Everything here renders; the worker records the
// outcome.

function listHeaders(page: PageContext, list: Recipient['list'], unsubscribeUrl: string) {
  return { id: `${list.slug}.${page.host}`, name: `${page.name} ${list.name}`, unsubscribeUrl };
}

/**
 * Stands in for a recipient's link token while a broadcast is rendered once per list: made of
 * letters and digits, which neither HTML escaping nor the text part changes, random per process,
 * so no update text can contain it, and as long as a token (43 characters of base64url), so the
 * transport can splice tokens into the encoded copy without changing where its lines break.
 */
const TOKEN_STAND_IN = `herald${randomBytes(16).toString('hex')}token`;

/**
 * Rendered copies per broadcast source (one per claim), list and language: 100,000 recipients,
 * a few renders.
 */
const renderedCopies = new WeakMap<BroadcastSource, Map<string, SharedCopy>>();

/** One recipient's copy of a broadcast: the internal note only for internal lists. */
export function composeBroadcastMail(
  page: PageContext,
  src: BroadcastSource,
  r: Recipient,
  messageId: string,
  now: Date,
): OutgoingMail | null {
  const token = manageToken(page.key, r.subscriberId);
  if (src.type === 'maintenance' || src.type === 'incident_notice') {
    const links = subscriberLinks(page.url, token);
    const list = listHeaders(page, r.list, links.unsubscribeUrl);
    return src.type === 'maintenance'
      ? composeMaintenanceMail(page, src, r, links, messageId, list)
      : composeIncidentNoticeMail(page, src, r, links, messageId, list);
  }
  // Everything but the links is the same for every recipient on a list: rendered once, with a
  // stand-in token that the transport replaces per recipient.
  let copies = renderedCopies.get(src);
  if (!copies) renderedCopies.set(src, (copies = new Map()));
  const key = `${r.list.id} ${r.language} ${now.getTime()}`;
  let copy = copies.get(key);
  if (!copy) {
    const standIn = subscriberLinks(page.url, TOKEN_STAND_IN);
    const { id, name } = listHeaders(page, r.list, standIn.unsubscribeUrl);
    copy = {
      ...renderIncidentCopy(page, src, r.list, standIn, now, r.language),
      list: { id, name },
      standIn: TOKEN_STAND_IN,
    };
    copies.set(key, copy);
  }
  const shared = copy;
  // Each list has its own subject (its template, or its kind's default) in the reader's
  // language unless the list keeps subjects in English; the broadcast's stored subject is the
  // internal English one the admin saw in the preview and progress.
  return {
    to: r.email,
    // Spelled out only when something reads them (a test, the .eml transport's fallback).
    get text() {
      return shared.text.replaceAll(TOKEN_STAND_IN, token);
    },
    get html() {
      return shared.html.replaceAll(TOKEN_STAND_IN, token);
    },
    subject: copy.subject,
    messageId,
    list: listHeaders(page, r.list, subscriberLinks(page.url, token).unsubscribeUrl),
    shared: { copy, token },
  };
}

function incidentListSubject(
  src: Extract<BroadcastSource, { type: 'incident' }>,
  list: Recipient['list'],
  lang: Language,
): string {
  const subjectLang = list.subjectsInEnglish ? 'en' : lang;
  return listSubject(
    src.broadcast.kind === 'incident_resolved' ? 'resolved' : 'update',
    list,
    {
      priority: src.update.priority,
      title: src.incident.title,
      isDrill: src.broadcast.isDrill,
      impact: src.incident.impact,
      statusLabel: translatorFor(subjectLang).t(`status.${src.update.status}` as MessageKey),
    },
    lang,
  );
}

function renderIncidentCopy(
  page: PageContext,
  src: Extract<BroadcastSource, { type: 'incident' }>,
  list: Recipient['list'],
  links: ReturnType<typeof subscriberLinks>,
  now: Date,
  lang: Language,
): Pick<SharedCopy, 'text' | 'html' | 'subject'> {
  const { incident, update } = src;
  const data: IncidentEmailData = {
    ...incidentEmailData(
      page,
      {
        priority: update.priority,
        title: incident.title,
        isDrill: src.broadcast.isDrill,
        status: update.status,
        affected: src.affected,
        // The PM's own words in the reader's language when they wrote them, else as written.
        body: update.translations?.[lang] ?? update.body,
        nextUpdateDueAt: update.nextUpdateDueAt,
        incidentUrl: `${page.url}/incidents/${incident.id}`,
      },
      now,
      lang,
    ),
    listName: list.name,
    // Internal lists see the team's priority; public lists and pages hear impact.
    impactLabel: list.isInternal ? null : impactWord(incident.impact, lang),
    subject: incidentListSubject(src, list, lang),
    internalNote: list.isInternal
      ? internalNoteWithRecord(
          withSupportScript(
            update.internalNote,
            src.supportScript ?? supportScriptTemplate(incident, page.url),
          ),
          src.record,
          page.timeZone,
          now,
        )
      : null,
    ...links,
  };
  const rendered =
    src.broadcast.kind === 'incident_resolved' ? renderAllClear(data) : renderIncidentUpdate(data);
  return { text: rendered.text, html: rendered.html, subject: rendered.subject };
}

export interface QueuedMessage {
  kind: string;
  toAddress: string;
  payload: OutboxPayload;
  messageId: string;
}

/**
 * A single email from outbox_messages, or null when it no longer applies (skip it). Dispatches
 * on the row's kind, never on the payload's shape.
 */
export async function composeOutboxMail(
  db: Db,
  page: PageContext,
  m: QueuedMessage,
  now: Date,
): Promise<OutgoingMail | null> {
  const p = m.payload;
  if (m.kind === 'test') {
    if (!('subject' in p)) return null;
    return {
      to: m.toAddress,
      subject: p.subject,
      text: p.text,
      html: p.html,
      messageId: m.messageId,
    };
  }
  if (m.kind === 'promise_reminder') {
    if (!('incidentId' in p)) return null;
    const inc = await readIncident(db, p.incidentId);
    return composePromiseReminder(page, inc, m.toAddress, p, m.messageId, now);
  }
  if (m.kind === 'drill_start') return composeDrillMail(db, page, m);
  if (m.kind === 'change_review_request') return composeChangeReviewMail(db, page, m, now);
  if (isReportOutboxKind(m.kind)) return composeReportMail(db, page, { ...m, kind: m.kind }, now);
  if (m.kind === 'action_item_reminder')
    return 'actionItemId' in p
      ? composeActionItemReminder(db, page, m.toAddress, p, m.messageId)
      : null;
  if (isFollowOutboxKind(m.kind))
    return 'followerId' in p
      ? composeFollowMail(db, page, { ...m, kind: m.kind, payload: p }, now)
      : null;
  if (m.kind === 'look_back')
    return 'lookBackId' in p ? composeLookBack(db, page, m.toAddress, p, m.messageId) : null;
  if (!('subscriberId' in p)) return null;
  const r = (await readRecipients(db, [p.subscriberId])).get(p.subscriberId);
  if (!r) return null;
  const links = subscriberLinks(page.url, manageToken(page.key, r.subscriberId));
  let rendered: RenderedEmail;
  if (m.kind === 'maintenance_switch') {
    // Someone who left the list since the switch was queued no longer hears of it.
    if (r.state !== 'confirmed' || !('switchOn' in p)) return null;
    rendered = renderMaintenanceSwitch({
      pageName: page.name,
      listName: r.list.name,
      on: p.switchOn,
      message: p.message,
      until: p.until ? formatClock(new Date(p.until), 'Etc/UTC', now) : null,
      by: p.by,
      pageUrl: page.url,
      ...links,
    });
  } else if (m.kind === 'confirmation') {
    if (r.state !== 'pending' || !r.confirmExpiresAt) return null;
    rendered = renderConfirmation({
      pageName: page.name,
      listName:
        translatorFor(r.language).list([
          ...new Set(await readSignUpListNames(db, r.subscriberId)),
        ]) || r.list.name,
      confirmUrl: confirmUrl(page.url, confirmToken(page.key, r.subscriberId, r.confirmExpiresAt)),
      expiresOn: dateFormatsFor(r.language).day(r.confirmExpiresAt, page.timeZone),
      lang: r.language,
    });
  } else if (m.kind === 'welcome') {
    if (r.state !== 'confirmed') return null;
    rendered = renderWelcome({
      pageName: page.name,
      listName:
        translatorFor(r.language).list([
          ...new Set(await readSignUpListNames(db, r.subscriberId)),
        ]) || r.list.name,
      pageUrl: page.url,
      components: r.componentIds
        ? (await readComponentNames(db, r.componentIds)).map((c) => c.name)
        : null,
      ...links,
      lang: r.language,
    });
  } else {
    return null;
  }
  return {
    ...rendered,
    to: r.email,
    messageId: m.messageId,
    list: listHeaders(page, r.list, links.unsubscribeUrl),
  };
}
