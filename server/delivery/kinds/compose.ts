import { randomBytes } from 'node:crypto';
import {
  type IncidentEmailData,
  renderAllClear,
  renderIncidentUpdate,
} from '../../../emails/incident-update.ts';
import { impactWord, updateListSubject } from '../../domain/shared/subjects.ts';
import type {
  BroadcastSource,
  PageContext,
  Recipient,
} from '../../domain/broadcasts/send-context.ts';
import type { Language } from '../../i18n/languages.ts';
import { manageToken, subscriberLinks } from '../../domain/subscribers/tokens.ts';
import type { OutgoingMail, SharedCopy } from '../../mail/outgoing-mail.ts';
import { incidentEmailData } from './incident-data.ts';
import { listHeaders } from './list-headers.ts';
import { composeMaintenanceMail } from './maintenance.ts';
import { supportScriptTemplate, withSupportScript } from '../../domain/support/support-script.ts';
import { internalNoteWithRecord } from './record-notes.ts';
import { composeIncidentNoticeMail } from './incident-notice.ts';
import { incidentUrlFor, listText, mayStillRead } from '../../domain/lists/list-reading.ts';

// The broadcast kind: one recipient's copy of an incident update, all-clear, maintenance or
// incident notice, rendered at send time from what domain/broadcasts/send-context.ts reads then.

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

/**
 * One recipient's copy of a broadcast, with the text its list reads (`listText`); null (the
 * delivery is skipped) for an address no longer in the audience its list belongs to.
 */
export function composeBroadcastMail(
  page: PageContext,
  src: BroadcastSource,
  r: Recipient,
  messageId: string,
  now: Date,
): OutgoingMail | null {
  if (!mayStillRead(r.list, r)) return null;
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
    copy = {
      ...renderIncidentCopy(page, src, r.list, standIn, now, r.language),
      list: listHeaders(page, r.list, standIn.unsubscribeUrl),
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
  return updateListSubject(
    src.broadcast.kind === 'incident_resolved' ? 'resolved' : 'update',
    list,
    {
      priority: src.update.priority,
      title: src.incident.title,
      isDrill: src.broadcast.isDrill,
      impact: src.incident.impact,
      status: src.update.status,
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
  const reads = listText(list);
  const own = reads.audienceId ? update.audienceTexts.get(reads.audienceId) : undefined;
  const data: IncidentEmailData = {
    ...incidentEmailData(
      page,
      {
        priority: update.priority,
        title: incident.title,
        isDrill: src.broadcast.isDrill,
        status: update.status,
        affected: src.affected,
        // The audience's own text where the PM wrote one; else the PM's own words in the
        // reader's language when they wrote them, else as written.
        body: own ?? update.translations?.[lang] ?? update.body,
        nextUpdateDueAt: update.nextUpdateDueAt,
        incidentUrl: incidentUrlFor(page.url, list, incident, page.audienceHosts),
      },
      now,
      lang,
    ),
    listName: list.name,
    // Internal lists see the team's priority; public lists and pages hear impact.
    impactLabel: list.isInternal ? null : impactWord(incident.impact, lang),
    subject: incidentListSubject(src, list, lang),
    internalNote:
      reads.internal === 'notes'
        ? update.internalNote
        : reads.internal === 'record'
          ? internalNoteWithRecord(
              withSupportScript(
                update.internalNote,
                src.supportScript ??
                  supportScriptTemplate(
                    { ...incident, audienceSlugs: src.audienceSlugs },
                    page.url,
                  ),
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
