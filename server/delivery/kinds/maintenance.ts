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
import { CANCEL_BODY } from '../../domain/maintenance/cancel-maintenance.ts';
import { movedBody } from '../../domain/maintenance/move-maintenance.ts';

const isNoticeKind = (k: string): k is MaintenanceNoticeKind =>
  (maintenanceNoticeKinds as readonly string[]).includes(k);

/** Notices that announce the window as going ahead: moot once it is cancelled. */
const goingAhead = new Set<string>([
  'maintenance_scheduled',
  'maintenance_reminder',
  'maintenance_started',
]);

/**
 * The step's words when the PM wrote their own; '' for Herald's default (English) line, which
 * the mail's fixed lead says in the reader's language.
 */
function ownWords(kind: MaintenanceNoticeKind, src: MaintenanceBroadcastSource, tz: string) {
  const m = src.maintenance;
  if (kind === 'maintenance_cancelled' && src.body === CANCEL_BODY) return '';
  if (kind === 'maintenance_moved' && src.body === movedBody(m.scheduledFor, m.scheduledUntil, tz))
    return '';
  return src.body;
}

/**
 * One recipient's copy of a maintenance notice, with their list's links and headers. The
 * window's times are as they are now (an extended or moved window's reminder shows the new
 * times); an announcement still queued when its window was cancelled is skipped (null).
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
  if (m.status === 'cancelled' && goingAhead.has(kind)) return null;
  const rendered = renderMaintenanceNotice({
    kind,
    pageName: page.name,
    listName: r.list.name,
    title: m.title,
    body: ownWords(kind, src, page.timeZone),
    scheduledFor: m.scheduledFor,
    scheduledUntil: m.scheduledUntil,
    components: src.componentNames,
    maintenanceUrl: incidentUrlFor(
      page.url,
      r.list,
      { id: m.id, audienceOnly: false },
      page.audienceHosts,
    ),
    // The feed takes the reader's language; without it, it speaks the page's default.
    calendarUrl: `${page.url}/maintenance.ics?lang=${r.language}`,
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
