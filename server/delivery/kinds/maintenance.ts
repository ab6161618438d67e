import { renderMaintenanceNotice } from '../../../emails/maintenance-notice.ts';
import {
  type MaintenanceNoticeKind,
  maintenanceNoticeKinds,
  maintenanceSubject,
} from '../../domain/shared/maintenance-subject.ts';
import type {
  MaintenanceBroadcastSource,
  PageContext,
  Recipient,
} from '../../domain/broadcasts/send-context.ts';
import { incidentUrlFor } from '../../domain/lists/list-reading.ts';
import type { SubscriberLinks } from '../../domain/subscribers/tokens.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';

const isNoticeKind = (k: string): k is MaintenanceNoticeKind =>
  (maintenanceNoticeKinds as readonly string[]).includes(k);

/**
 * One recipient's copy of a maintenance notice, with their list's links and headers. The
 * window's times are as they are now (an extended window's reminder shows the new end).
 */
export function composeMaintenanceMail(
  page: PageContext,
  src: MaintenanceBroadcastSource,
  r: Recipient,
  links: SubscriberLinks,
  messageId: string,
  list: OutgoingMail['list'],
): OutgoingMail | null {
  const kind = src.broadcast.kind;
  if (!isNoticeKind(kind)) return null;
  const m = src.maintenance;
  const rendered = renderMaintenanceNotice({
    kind,
    pageName: page.name,
    listName: r.list.name,
    title: m.title,
    body: src.body,
    scheduledFor: m.scheduledFor,
    scheduledUntil: m.scheduledUntil,
    components: src.componentNames,
    maintenanceUrl: incidentUrlFor(page.url, r.list, m.id),
    calendarUrl: `${page.url}/maintenance.ics`,
    ...links,
    lang: r.language,
  });
  // The stored subject is the English one the admin saw; readers get theirs, unless the list
  // keeps subjects in English for everyone.
  const subject =
    r.list.subjectsInEnglish || r.language === 'en'
      ? src.broadcast.subject
      : maintenanceSubject(kind, m, r.language);
  return { to: r.email, ...rendered, subject, messageId, list };
}
