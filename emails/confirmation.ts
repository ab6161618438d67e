import { translatorFor } from '../server/i18n/catalogue.ts';
import type { Language } from '../server/i18n/languages.ts';
import { html, layout, type RenderedEmail, textFooter } from './layout.ts';

export interface ConfirmationEmailData {
  pageName: string;
  /** Every list the sign-up joins, in one phrase ("Customers and Stakeholders"). */
  listName: string;
  /** How many lists `listName` names; 1 when not given. */
  lists?: number;
  /** The incident's title when the address asks to follow one incident, not to join lists. */
  incident?: string;
  confirmUrl: string;
  /** "Nov 28, 2026", in the recipient's language */
  expiresOn: string;
  /** The recipient's language (English when not given). */
  lang?: Language;
}

/**
 * Double opt-in: the link lands on a page whose button confirms (mail scanners open links). A
 * follow of one incident says so from its subject on, as its page does.
 */
export function renderConfirmation(d: ConfirmationEmailData): RenderedEmail {
  const { t } = translatorFor(d.lang);
  const footer = { pageName: d.pageName, listName: d.listName, lists: d.lists, lang: d.lang };
  const follow = d.incident !== undefined;
  const subject = follow
    ? t('mail.followConfirmSubject', { incident: d.incident! })
    : t('mail.confirmSubject', { page: d.pageName });
  const ask = follow
    ? t('mail.followConfirmAsk', { incident: d.incident!, page: d.pageName })
    : t('mail.confirmAsk', { page: d.pageName, list: d.listName, lists: d.lists ?? 1 });
  const expires = t('mail.confirmExpires', { date: d.expiresOn });
  const text = [
    ask,
    '',
    t('mail.confirmHere', { url: d.confirmUrl }),
    '',
    expires,
    '',
    '--',
    textFooter(footer),
  ].join('\n');
  const body = html`<h1 style="margin:0 0 12px;font-size:20px">
      ${t(follow ? 'confirm.headingFollow' : 'confirm.heading')}
    </h1>
    <p style="margin:0 0 12px">${ask}</p>
    <p style="margin:0 0 16px">
      <a
        href="${d.confirmUrl}"
        style="display:inline-block;padding:10px 16px;background:#18181b;color:#ffffff;text-decoration:none;border-radius:6px"
        >${t(follow ? 'confirm.buttonFollow' : 'confirm.button')}</a
      >
    </p>
    <p style="margin:0;font-size:14px;color:#555">${expires}</p>`;
  return {
    subject,
    text,
    html: layout({
      title: subject,
      preheader: t('mail.confirmPreheader'),
      body,
      footer,
    }),
  };
}
