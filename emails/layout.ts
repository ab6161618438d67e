import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { translatorFor } from '../server/i18n/catalogue.ts';
import type { Language } from '../server/i18n/languages.ts';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export { headerText } from '../server/domain/shared/subjects.ts';

/** Multi-line text as escaped HTML lines. */
export function lines(text: string): Html {
  const parts = text.split(/\r\n|\r|\n/);
  return html`${parts.map((l, i) => (i === 0 ? html`${l}` : html`<br />${l}`))}`;
}

export interface Footer {
  pageName: string;
  listName: string;
  /** How many lists `listName` names ("Customers and Stakeholders" is 2); 1 when not given. */
  lists?: number;
  /** Why this address gets the email, when it is not a list ("you follow the incident …"). */
  reason?: string;
  manageUrl?: string;
  unsubscribeUrl?: string;
  /** The recipient's language: the frame's fixed text is in it (English when not given). */
  lang?: Language;
}

/** "You get this email from … because …": the footer's first line in the reader's language. */
function whyLine(f: Footer): string {
  const { t } = translatorFor(f.lang);
  return f.reason
    ? t('mail.footerReason', { page: f.pageName, reason: f.reason })
    : t('mail.footer', { page: f.pageName, list: f.listName, lists: f.lists ?? 1 });
}

/**
 * The shared frame: one narrow column that reads on a phone, inline styles only (mail clients
 * drop stylesheets), every value escaped by hono/html.
 */
export function layout(opts: {
  title: string;
  preheader: string;
  banner?: Html | string;
  body: Html;
  footer: Footer;
}): string {
  const f = opts.footer;
  const { t } = translatorFor(f.lang);
  const links =
    f.manageUrl && f.unsubscribeUrl
      ? html`<p style="margin:0 0 8px">
          <a href="${f.manageUrl}" style="color:#555">${t('mail.manage')}</a> &middot;
          <a href="${f.unsubscribeUrl}" style="color:#555">${t('mail.unsubscribe')}</a>
        </p>`
      : '';
  return frame({
    lang: f.lang,
    title: opts.title,
    preheader: opts.preheader,
    banner: opts.banner,
    body: opts.body,
    footer: html`<div style="font-size:13px;color:#555;padding:12px 4px">
      <p style="margin:0 0 8px">${whyLine(f)}</p>
      ${links}
    </div>`,
  });
}

/**
 * The document every Herald email is: one narrow column that reads on a phone, inline styles
 * only (mail clients drop stylesheets), a white card with the body, and a footer under it. The
 * column wraps a word longer than the screen (a pasted URL, a token) in every block inside it:
 * both properties are inherited, and `word-break` is for the clients without `anywhere`.
 */
function frame(opts: {
  lang?: Language | undefined;
  title: string;
  preheader?: string;
  banner?: Html | string;
  body: Html;
  footer: Html;
}): string {
  return String(
    html`<!doctype html>
      <html lang="${translatorFor(opts.lang).lang}" dir="${translatorFor(opts.lang).dir}">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>${opts.title}</title>
        </head>
        <body
          style="margin:0;padding:0;background:#f4f4f5;color:#18181b;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5"
        >
          ${
            opts.preheader
              ? html`<div style="display:none;max-height:0;overflow:hidden">${opts.preheader}</div>`
              : ''
          }
          <div
            style="max-width:600px;margin:0 auto;padding:16px;overflow-wrap:anywhere;word-break:break-word"
          >
            ${opts.banner ?? ''}
            <div style="background:#ffffff;border-radius:6px;padding:20px">${opts.body}</div>
            ${opts.footer}
          </div>
        </body>
      </html>`,
  );
}

/**
 * An email to one person on the team (reminders, report mails, the look back): the same
 * frame with no list footer or unsubscribe link, only where it came from (`footer` is text).
 */
export function staffEmail(opts: {
  title: string;
  body: Html;
  footer: string;
  /** The recipient's language, for mails to a reader (the reporter); the team's are English. */
  lang?: Language;
}): string {
  return frame({
    lang: opts.lang,
    title: opts.title,
    body: opts.body,
    footer: html`<p style="font-size:13px;color:#555;padding:12px 4px">${opts.footer}</p>`,
  });
}

/**
 * An email to someone on the team about this status page (reminders, the look back): `staffEmail`
 * with both parts signed with where it came from.
 */
export function teamEmail(d: {
  pageName: string;
  subject: string;
  /** The text part's lines, before the signature. */
  text: string[];
  body: Html;
}): RenderedEmail {
  const from = `${d.pageName} status page (Herald)`;
  return {
    subject: d.subject,
    text: [...d.text, '', '--', from].join('\n'),
    html: staffEmail({ title: d.subject, footer: from, body: d.body }),
  };
}

/** The one call to action of an email, as a dark button. */
export function button(url: string, label: string): Html {
  return html`<a
    href="${url}"
    style="display:inline-block;padding:10px 16px;background:#18181b;color:#ffffff;text-decoration:none;border-radius:6px"
    >${label}</a
  >`;
}

export function textFooter(f: Footer): string {
  const { t } = translatorFor(f.lang);
  const out = [whyLine(f)];
  if (f.manageUrl) out.push(`${t('mail.manage')}: ${f.manageUrl}`);
  if (f.unsubscribeUrl) out.push(`${t('mail.unsubscribe')}: ${f.unsubscribeUrl}`);
  return out.join('\n');
}

export { html, raw };
