import type { Translator } from '../server/i18n/catalogue.ts';
import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReaderSignInEmailData {
  /** The reader's language: every fixed text of the mail is said in it. */
  tr: Translator;
  subject: string;
  pageName: string;
  audienceName: string;
  /** The page with the sign-in button; only its button (a POST) signs anyone in. */
  signInUrl: string;
  /** "Dec 2, 2026, 11:00 UTC" */
  expiresAt: string;
}

/** The one-time link to an audience's status page; it goes to one person, so no list footer. */
export function renderReaderSignIn(d: ReaderSignInEmailData): RenderedEmail {
  const { t } = d.tr;
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: t('mail.signInIntro', { audience: d.audienceName, expires: d.expiresAt }),
    blocks: [{ text: t('mail.signInIgnore') }],
    action: { label: t('signin.to', { audience: d.audienceName }), url: d.signInUrl },
    why: t('mail.signInWhy'),
    footer: (why) => t('mail.reportFooter', { page: d.pageName, why }),
    lang: d.tr.lang,
  });
}
