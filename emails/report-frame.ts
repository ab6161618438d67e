import type { Language } from '../server/i18n/languages.ts';
import { html, lines, type RenderedEmail, staffEmail, button } from './layout.ts';

type Html = ReturnType<typeof html>;

/** One paragraph of an email about a report: plain text, escaped in the HTML part. */
export interface Block {
  heading?: string;
  text: string;
}

/**
 * The frame of the mails about reports and triage. They go to one person (the reporter, the
 * people on duty, the final authority), so there is no list footer or unsubscribe link; every
 * value is escaped by hono/html.
 */
export function reportEmail(d: {
  subject: string;
  pageName: string;
  intro: string;
  blocks: Block[];
  action: { label: string; url: string };
  why: string;
  /** The footer line around `why` in the reader's language; English when not given. */
  footer?: (why: string) => string;
  lang?: Language;
}): RenderedEmail {
  const footer = d.footer ? d.footer(d.why) : `${d.pageName} status page (Herald). ${d.why}`;
  const text = [
    d.intro,
    '',
    ...d.blocks.flatMap((b) => [...(b.heading ? [`${b.heading}:`] : []), b.text, '']),
    `${d.action.label}: ${d.action.url}`,
    '',
    '--',
    footer,
  ].join('\n');
  const blocks: Html[] = d.blocks.map(
    (b) =>
      html`${b.heading ? html`<p style="margin:0 0 4px;font-weight:bold">${b.heading}</p>` : ''}
        <p style="margin:0 0 12px">${lines(b.text)}</p>`,
  );
  const body = staffEmail({
    title: d.subject,
    footer,
    ...(d.lang ? { lang: d.lang } : {}),
    body: html`
      <p style="margin:0 0 12px">${lines(d.intro)}</p>
      ${blocks}
      <p style="margin:16px 0">
        ${button(d.action.url, d.action.label)}
      </p>
    `,
  });
  return { subject: d.subject, text, html: body };
}
