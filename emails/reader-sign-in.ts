import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReaderSignInEmailData {
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
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: `Someone (hopefully you) asked to sign in to the ${d.audienceName} status page with this address. The link signs you in once and works until ${d.expiresAt}.`,
    blocks: [
      {
        text: 'If you did not ask for this, ignore this email: nobody is signed in without the link.',
      },
    ],
    action: { label: `Sign in to the ${d.audienceName} status page`, url: d.signInUrl },
    why: 'You get this email because this address asked for a sign-in link.',
  });
}
