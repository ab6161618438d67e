import { renderIncidentNotice } from '../../../emails/incident-notice.ts';
import type { IncidentNoticeSource } from '../../domain/broadcasts/incident-notice-source.ts';
import type { PageContext, Recipient } from '../../domain/broadcasts/send-context.ts';
import { dateFormatsFor } from '../../i18n/dates.ts';
import { impactWord } from '../../domain/shared/subjects.ts';
import { incidentUrlFor, postmortemUrlFor } from '../../domain/lists/list-reading.ts';
import { incidentNoticeListSubject } from '../../domain/broadcasts/enqueue-incident-notice.ts';
import type { SubscriberLinks } from '../../domain/subscribers/tokens.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';

/** One recipient's copy of a post-mortem or follow-up: the same text for every list. */
export function composeIncidentNoticeMail(
  page: PageContext,
  src: IncidentNoticeSource,
  r: Recipient,
  links: SubscriberLinks,
  messageId: string,
  list: OutgoingMail['list'],
): OutgoingMail {
  const i = src.incident;
  const incidentUrl = incidentUrlFor(page.url, r.list, i, page.audienceHosts);
  const rendered = renderIncidentNotice({
    kind: src.kind === 'incident_postmortem' ? 'postmortem' : 'follow_up',
    // Internal lists get the team's priority; every other list hears impact, as in updates.
    subject: incidentNoticeListSubject(src.kind, r.list, i, r.language),
    impactLabel: r.list.isInternal ? null : impactWord(i.impact, r.language),
    pageName: page.name,
    listName: r.list.name,
    priority: i.priority,
    title: i.title,
    isDrill: i.isDrill,
    text: src.text,
    safeHtml: src.html,
    resolvedOn: i.resolvedAt ? dateFormatsFor(r.language).day(i.resolvedAt, page.timeZone) : null,
    incidentUrl,
    postmortemUrl:
      src.kind !== 'incident_postmortem' && src.postmortemPublished
        ? postmortemUrlFor(page.url, r.list, i, page.audienceHosts)
        : null,
    ...links,
    lang: r.language,
  });
  // "Reply to this email" must reach a person, not the list's sending address.
  const headers = src.replyTo ? { 'Reply-To': src.replyTo } : undefined;
  return { to: r.email, ...rendered, messageId, list, ...(headers ? { headers } : {}) };
}
