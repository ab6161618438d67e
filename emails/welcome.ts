import { translatorFor } from '../server/i18n/catalogue.ts';
import type { Language } from '../server/i18n/languages.ts';
import { html, layout, type RenderedEmail, textFooter } from './layout.ts';

export interface WelcomeEmailData {
  pageName: string;
  /** Every list the sign-up joined, in one phrase ("Customers and Stakeholders"). */
  listName: string;
  /** How many lists `listName` names; 1 when not given. */
  lists?: number;
  pageUrl: string;
  /** Names of the chosen components, or null for everything. */
  components: string[] | null;
  manageUrl: string;
  unsubscribeUrl: string;
  /** The recipient's language (English when not given). */
  lang?: Language;
}

export function renderWelcome(d: WelcomeEmailData): RenderedEmail {
  const { t } = translatorFor(d.lang);
  const subject = t('mail.welcomeSubject', { page: d.pageName });
  const onList = t('mail.welcomeText', {
    list: d.listName,
    lists: d.lists ?? 1,
    what: d.components ? 'some' : 'all',
    components: (d.components ?? []).join(', '),
  });
  const [before, after] = translatorFor(d.lang).around('mail.pageAlways', 'url');
  const text = [onList, '', t('mail.pageAlways', { url: d.pageUrl }), '', '--', textFooter(d)].join(
    '\n',
  );
  const body = html`<h1 style="margin:0 0 12px;font-size:20px">${t('confirm.subscribedTitle')}</h1>
    <p style="margin:0 0 12px">${onList}</p>
    <p style="margin:0">${before}<a href="${d.pageUrl}">${d.pageUrl}</a>${after}</p>`;
  return {
    subject,
    text,
    html: layout({
      title: subject,
      preheader: t('mail.welcomePreheader', { list: d.listName }),
      body,
      footer: d,
    }),
  };
}
