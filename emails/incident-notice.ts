import { DRILL_MARK } from '../server/domain/shared/subjects.ts';
import { html, layout, lines, raw, type RenderedEmail, textFooter, button } from './layout.ts';
import { translatorFor } from '../server/i18n/catalogue.ts';
import type { Language } from '../server/i18n/languages.ts';

export interface IncidentNoticeData {
  kind: 'postmortem' | 'follow_up';
  /** The subject stored with the broadcast (`PRIORITY 0 ISSUE POST-MORTEM: ...`). */
  subject: string;
  pageName: string;
  listName: string;
  priority: number;
  /** Public lists: the impact in words instead of the priority; null for internal lists. */
  impactLabel?: string | null;
  title: string;
  isDrill: boolean;
  /** Plain text: the follow-up, or the post-mortem's Markdown source. */
  text: string;
  /** Already sanitised HTML (a post-mortem rendered by renderMarkdown); null: use `text`. */
  safeHtml: string | null;
  resolvedOn: string | null;
  incidentUrl: string;
  /** A follow-up's link to the published post-mortem; null before it is out. */
  postmortemUrl?: string | null;
  manageUrl: string;
  unsubscribeUrl: string;
  /**
   * The recipient's language: the fixed text is in it (English when not given); `subject`,
   * `impactLabel` and `resolvedOn` come already in it.
   */
  lang?: Language;
}

/** After the all-clear: the next-day follow-up or the published post-mortem. */
export function renderIncidentNotice(d: IncidentNoticeData): RenderedEmail {
  const lang = d.lang ?? 'en';
  const tr = translatorFor(lang);
  const { t } = tr;
  const headline = t('mail.noticeHeadline', { kind: d.kind });
  const badge = d.impactLabel
    ? d.impactLabel
    : t('mail.priority', { priority: String(d.priority) });
  const lead = d.resolvedOn
    ? t('mail.noticeLead', { kind: d.kind, date: d.resolvedOn })
    : t('mail.noticeLeadShort', { kind: d.kind });
  const text = [
    d.isDrill ? `${DRILL_MARK} ${t('mail.drill')}\n` : '',
    `${badge}: ${d.title}`,
    lead,
    '',
    d.text,
    '',
    ...(d.postmortemUrl ? [t('mail.noticeLearnedUrl', { url: d.postmortemUrl }), ''] : []),
    t('mail.details', { url: d.incidentUrl }),
    '',
    '--',
    textFooter({ ...d, lang }),
  ].join('\n');
  const learned = tr.around('mail.noticeLearned', 'link');
  const body = html`<p style="margin:0 0 4px;font-size:13px;font-weight:bold;letter-spacing:.04em;color:#15803d">
      ${badge.toLocaleUpperCase(lang)} &middot; ${headline.toLocaleUpperCase(lang)}
    </p>
    <h1 style="margin:0 0 12px;font-size:20px;line-height:1.3">${d.title}</h1>
    <p style="margin:0 0 12px">${lead}</p>
    ${d.safeHtml === null ? html`<p style="margin:0 0 12px">${lines(d.text)}</p>` : html`<div>${raw(d.safeHtml)}</div>`}
    ${d.postmortemUrl ? html`<p style="margin:0 0 12px">${learned[0]}<a href="${d.postmortemUrl}">${t('mail.noticeReadPostmortem')}</a>${learned[1]}</p>` : ''}
    <p style="margin:16px 0 0">
      ${button(d.incidentUrl, t('mail.detailsButton'))}
    </p>`;
  return {
    subject: d.subject,
    text,
    html: layout({
      title: d.subject,
      preheader: `${headline}: ${d.title}`,
      body,
      footer: { ...d, lang },
    }),
  };
}
