import { renderReportAlert } from '../../../emails/report-alert.ts';
import { renderReportDecision } from '../../../emails/report-decision.ts';
import { renderReportFollow } from '../../../emails/report-follow.ts';
import { renderReportLink } from '../../../emails/report-link.ts';
import { renderReportReceipt } from '../../../emails/report-receipt.ts';
import type { RenderedEmail } from '../../../emails/layout.ts';
import type { Db } from '../../../db/client.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import type { OutboxPayloads } from '../../domain/outbox/enqueue-message.ts';
import type { ReportAlertKind } from '../../domain/outbox/report-mail-kinds.ts';
import { reportSubjects } from '../../domain/reports/report-subjects.ts';
import {
  adminReportUrl,
  reportLinkToken,
  reportLinkUrl,
  reportStatusToken,
  reportStatusUrl,
} from '../../domain/reports/report-tokens.ts';
import {
  readIncidentUpdateForMail,
  readReportLinkRow,
  readReportMailContext,
} from '../../domain/reports/report-views.ts';
import { timeboxOf } from '../../domain/reports/triage-rules.ts';
import { formatClock } from '../../domain/shared/zoned-time.ts';
import { type Translator, translatorFor } from '../../i18n/catalogue.ts';
import { dateFormatsFor } from '../../i18n/dates.ts';
import { parseLanguage } from '../../i18n/languages.ts';
import { headerText, incidentSubject } from '../../domain/shared/subjects.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';

/** report_receipt, report_decision (eventId), report_follow (updateId, or the next-day follow-up). */
type ReportMailPayload = { reportId: string; eventId?: string; updateId?: string; followUp?: true };

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** The one-time link to the report form. */
    report_link: { reportLinkId: string };
    /** The reporter's receipt, with when the team decides. */
    report_receipt: ReportMailPayload;
    /** The reporter: the team agreed, re-rated (with the reason) or closed the report. */
    report_decision: ReportMailPayload;
    /** The on-duty staff: a new P0/P1 report, the half-time reminder, the overdue escalation, a reporter's escalation, its alert resolved at the source. */
    report_alert: { reportId: string; alert: ReportAlertKind; eventId?: string };
    /** The reporter follows their report's incident: each update, and the next-day follow-up. */
    report_follow: ReportMailPayload;
  }
}

type ReportKind =
  'report_link' | 'report_receipt' | 'report_decision' | 'report_alert' | 'report_follow';
import { readFollowUpNotice } from '../../domain/broadcasts/incident-notice-source.ts';

/**
 * The report emails, rendered at send time. Null (skipped) when the message no longer applies:
 * a link already used, a reminder for a report decided in the meantime. Emails show UTC.
 */
export async function composeReportMail(
  db: Db,
  page: PageContext,
  m: {
    kind: ReportKind;
    toAddress: string;
    payload: OutboxPayloads[ReportKind];
    messageId: string;
  },
  now: Date,
): Promise<OutgoingMail | null> {
  const rendered = await render(db, page, m.kind, m.payload, now);
  return rendered ? { ...rendered, to: m.toAddress, messageId: m.messageId } : null;
}

async function render(
  db: Db,
  page: PageContext,
  kind: ReportKind,
  p: OutboxPayloads[ReportKind],
  now: Date,
): Promise<(RenderedEmail & { headers?: Record<string, string> }) | null> {
  if (kind === 'report_link') {
    if (!('reportLinkId' in p)) return null;
    const link = await readReportLinkRow(db, p.reportLinkId);
    if (!link || link.usedAt || link.expiresAt.getTime() <= now.getTime()) return null;
    // The language of the page they asked from; links from before it was recorded read the
    // page's default.
    const lang = parseLanguage(link.language) ?? page.language;
    const tr = translatorFor(lang);
    return renderReportLink({
      tr,
      subject: tr.t('mail.reportLinkSubject', { page: headerText(page.name) }),
      pageName: page.name,
      formUrl: reportLinkUrl(page.url, reportLinkToken(page.key, link.id, link.expiresAt)),
      expiresAt: dateFormatsFor(lang).short(link.expiresAt, 'Etc/UTC'),
    });
  }
  if (!('reportId' in p)) return null;
  const ctx = await readReportMailContext(db, p.reportId, 'eventId' in p ? p.eventId : undefined);
  if (!ctx) return null;
  const { report, incident, event } = ctx;
  const statusUrl = reportStatusUrl(page.url, reportStatusToken(page.key, report.id));
  if (kind === 'report_receipt') {
    const box = timeboxOf(report, ctx.settings, now);
    // The reporter's language, from the page they filed on; reports from before it was
    // recorded read the page's default.
    const lang = parseLanguage(report.language) ?? page.language;
    const tr = translatorFor(lang);
    return renderReportReceipt({
      tr,
      subject: tr.t('mail.reportReceiptSubject', {
        priority: report.reportedPriority,
        what: reportSubjects.short(report.whatHappened),
      }),
      pageName: page.name,
      kind: report.kind,
      priority: report.reportedPriority,
      whatHappened: report.whatHappened,
      decisionBy: box ? dateFormatsFor(lang).clock(box.dueAt, 'Etc/UTC', now) : null,
      statusUrl,
    });
  }
  if (kind === 'report_decision') {
    if (!event) return null;
    const tr = translatorFor(parseLanguage(report.language) ?? page.language);
    const d = describeDecision(tr, event, report, incident);
    return renderReportDecision({
      tr,
      subject: tr.t('mail.reportDecisionSubject', {
        label: headerText(d.label),
        what: reportSubjects.short(report.whatHappened),
      }),
      pageName: page.name,
      decision: d.text,
      reason: event.reason,
      next: d.next,
      whatHappened: report.whatHappened,
      statusUrl,
    });
  }
  if (kind === 'report_alert') {
    if (!('alert' in p)) return null;
    const triageUrl = adminReportUrl(page.url, report.id);
    const box = timeboxOf(report, ctx.settings, now);
    let intro: string;
    let prefix: string;
    if (p.alert === 'resolved_at_source') {
      if (!incident || incident.status === 'resolved') return null;
      prefix = 'RESOLVED AT THE SOURCE:';
      intro = `Every alert behind this report was resolved at its source. The incident "${incident.title}" (P${incident.priority}) came from it and is still ${incident.status}: Herald never resolves an incident by itself. Check, then post the all-clear when you are sure.`;
    } else if (p.alert === 'escalation') {
      prefix = 'ESCALATED';
      intro = `The reporter disagrees with the re-rating of their report to P${report.priority} (they picked P${report.reportedPriority}) and asks you, the final authority, to decide.`;
    } else {
      // A reminder or an overdue alert for a report decided in the meantime is noise.
      if (report.state !== 'open' || !box) return null;
      const due = formatClock(box.dueAt, 'Etc/UTC', now);
      prefix = p.alert === 'overdue' ? 'OVERDUE' : 'DECIDE BY ' + due.toUpperCase() + ':';
      intro =
        p.alert === 'overdue'
          ? `No decision on this P${report.priority} report: it was due by ${due}. As the final authority, decide now or hand it to someone who can.`
          : p.alert === 'filed'
            ? `A new P${report.priority} report needs a decision by ${due}. Accept, re-rate, declare, merge or close it.`
            : `Half the triage time is gone: this P${report.priority} report needs a decision by ${due}. Accept, re-rate, declare, merge or close it.`;
    }
    return renderReportAlert({
      // An alert's report lists its alerts under the group's title: the title is the subject.
      subject: reportSubjects.alert(
        prefix,
        report.priority,
        report.alertSource ? report.whatHappened.split('\n')[0]! : report.whatHappened,
      ),
      pageName: page.name,
      intro,
      reporter: report.reporterEmail,
      whatHappened: report.whatHappened,
      affected: report.affected,
      reason: p.alert === 'escalation' ? (event?.reason ?? null) : null,
      triageUrl,
    });
  }
  if (kind === 'report_follow' && 'followUp' in p && p.followUp) {
    if (!incident) return null;
    const src = await readFollowUpNotice(db, incident.id);
    if (!src) return null;
    const incidentUrl = `${page.url}/incidents/${incident.id}`;
    const tr = translatorFor(parseLanguage(report.language) ?? page.language);
    const rendered = renderReportFollow({
      tr,
      subject: tr.t('mail.followUpSubject', { title: headerText(incident.title) }),
      pageName: page.name,
      incidentTitle: incident.title,
      status: tr.t('mail.reportFollowUpStatus'),
      body: src.postmortemPublished
        ? `${src.body}\n\n${tr.t('mail.reportPostmortem', { url: `${incidentUrl}#postmortem` })}`
        : src.body,
      incidentUrl,
    });
    return src.replyTo ? { ...rendered, headers: { 'Reply-To': src.replyTo } } : rendered;
  }
  if (kind === 'report_follow') {
    if (!('updateId' in p) || !p.updateId || !incident) return null;
    const update = await readIncidentUpdateForMail(db, p.updateId);
    if (!update || update.incidentId !== incident.id) return null;
    const lang = parseLanguage(report.language) ?? page.language;
    const tr = translatorFor(lang);
    return renderReportFollow({
      tr,
      subject: incidentSubject(
        update.status === 'resolved' ? 'resolved' : 'update',
        { priority: incident.priority, title: incident.title, isDrill: incident.isDrill },
        lang,
      ),
      pageName: page.name,
      incidentTitle: incident.title,
      status: tr.t(`status.${update.status}`),
      // The PM's own words in the reader's language when they wrote them, else as written.
      body: update.translations?.[lang] ?? update.body,
      incidentUrl: `${page.url}/incidents/${incident.id}`,
    });
  }
  return null;
}

/** What the team decided, said to the reporter in their language. */
function describeDecision(
  tr: Translator,
  event: { action: string; priority: number | null },
  report: { reportedPriority: number; closeReason: string | null },
  incident: { title: string } | null,
): { label: string; text: string; next: string | null } {
  const { t } = tr;
  const priority = event.priority ?? report.reportedPriority;
  const picked = `P${priority} (${t('priority.meaning', { priority })})`;
  const values = {
    action: event.action,
    priority,
    picked,
    reported: report.reportedPriority,
    title: incident?.title ?? '',
    reason: t('mail.reportCloseReason', { reason: report.closeReason ?? '' }),
  };
  return {
    label: t('mail.reportDecisionLabel', values),
    text: t('mail.reportDecisionText', values),
    next: event.action === 'rerate' ? t('mail.reportEscalateNext') : null,
  };
}

const reportKind = <K extends ReportKind>() =>
  emailKind<K>((ctx, m) => composeReportMail(ctx.db, ctx.page, m, ctx.now));

export const reportKinds = {
  report_link: reportKind<'report_link'>(),
  report_receipt: reportKind<'report_receipt'>(),
  report_decision: reportKind<'report_decision'>(),
  report_alert: reportKind<'report_alert'>(),
  report_follow: reportKind<'report_follow'>(),
};
