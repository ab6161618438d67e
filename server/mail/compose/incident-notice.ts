import { renderIncidentNotice } from '../../../emails/incident-notice.ts';
import type { IncidentNoticeSource } from '../../domain/broadcasts/incident-notice-source.ts';
import type { PageContext, Recipient } from '../../domain/broadcasts/send-context.ts';
import { formatDay } from '../../domain/shared/zoned-time.ts';
import type { SubscriberLinks } from '../../domain/subscribers/tokens.ts';
import type { OutgoingMail } from '../outgoing-mail.ts';

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
  const rendered = renderIncidentNotice({
    kind: src.kind === 'incident_postmortem' ? 'postmortem' : 'follow_up',
    subject: src.broadcast.subject,
    pageName: page.name,
    listName: r.list.name,
    priority: i.priority,
    title: i.title,
    isDrill: i.isDrill,
    text: src.text,
    safeHtml: src.html,
    resolvedOn: i.resolvedAt ? formatDay(i.resolvedAt, page.timeZone) : null,
    incidentUrl: `${page.url}/incidents/${i.id}`,
    ...links,
  });
  return { to: r.email, ...rendered, messageId, list };
}
