// Subject lines live apart from the HTML templates so the domain can store a broadcast's
// subject without importing the HTML toolkit.

import { translatorFor } from '../../i18n/catalogue.ts';
import type { Language } from '../../i18n/languages.ts';

/** Header-safe text: no CR, LF or other control characters from input, whitespace collapsed. */
export function headerText(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export const DRILL_MARK = '[DRILL]';

/**
 * `PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN`, with no CR/LF from the title; the same pattern in
 * the reader's language (`PRIORITÄT 0 PROBLEM-UPDATE: …`). The drill mark stays as it is in
 * every language, so mail rules can match it.
 */
export function incidentSubject(
  kind: 'update' | 'resolved',
  d: { priority: number; title: string; isDrill: boolean },
  lang: Language = 'en',
): string {
  const subject = translatorFor(lang).t('mail.subject', {
    kind,
    // As written: priorities are P0-P3 in every language, never locale digits.
    priority: String(d.priority),
    title: headerText(d.title).toLocaleUpperCase(lang),
  });
  return headerText(`${d.isDrill ? `${DRILL_MARK} ` : ''}${subject}`);
}
