// Subject lines live apart from the HTML templates so the domain can store a broadcast's
// subject without importing the HTML toolkit.

import { type MessageKey, translatorFor } from '../../i18n/catalogue.ts';
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

/**
 * What the public hears instead: the impact in words and the title ("Major outage: Website is
 * down", "Resolved: Website is down"), in the reader's language. Public lists (without a
 * template of their own), followers and public chat channels all say this.
 */
export function publicSubject(
  kind: 'update' | 'resolved',
  d: { title: string; isDrill: boolean; impact: string },
  lang: Language = 'en',
): string {
  const subject = translatorFor(lang).t('mail.publicSubject', {
    kind,
    impact: headerText(impactWord(d.impact, lang)),
    title: headerText(d.title),
  });
  return `${d.isDrill ? `${DRILL_MARK} ` : ''}${headerText(subject)}`;
}

/** The internal distribution list's subjects, as the practice has them. */
export const INTERNAL_SUBJECTS = {
  update: 'PRIORITY {priority} ISSUE UPDATE: {TITLE}',
  resolved: 'PRIORITY {priority} ISSUE RESOLVED: {TITLE}',
} as const;
/** Public lists hear impact, never the team's priorities. */
export const PUBLIC_SUBJECTS = {
  update: '{impact}: {title}',
  resolved: 'Resolved: {title}',
} as const;

export const SUBJECT_PLACEHOLDERS = ['priority', 'title', 'TITLE', 'impact', 'status'] as const;

/** The placeholders a subject template names that Herald does not know (an edit must fix them). */
export function unknownPlaceholders(template: string): string[] {
  const known: readonly string[] = SUBJECT_PLACEHOLDERS;
  const unknown = [...template.matchAll(/\{([^{}]*)\}/g)]
    .map((m) => m[1]!)
    .filter((p) => !known.includes(p));
  // A brace left open ("{priority") would reach subscribers as typed.
  const rest = template.replace(/\{[^{}]*\}/g, '');
  return /[{}]/.test(rest) ? [...unknown, rest] : unknown;
}

/** The impact in words in the reader's language ("Major outage"); an unknown impact reads as a notice. */
export function impactWord(impact: string, lang: Language = 'en'): string {
  const known = ['critical', 'major', 'minor', 'none'];
  const key = `impact.${known.includes(impact) ? impact : 'none'}` as MessageKey;
  return translatorFor(lang).t(key);
}

/**
 * One list's subject for an incident update or all-clear, in this order: the list's own
 * template; for an internal list, the PRIORITY pattern in the reader's language; for a public
 * list, the impact ("Major outage: Website is down", "Resolved: ...") in the reader's language.
 * A list that keeps subjects in English gives every reader the English subject. Every value goes
 * through headerText, so no CR/LF reaches the header.
 */
export function listSubject(
  kind: 'update' | 'resolved',
  list: {
    isInternal: boolean;
    subjectUpdate: string | null;
    subjectResolved: string | null;
    subjectsInEnglish?: boolean;
  },
  d: {
    priority: number;
    title: string;
    isDrill: boolean;
    impact: string;
    statusLabel: string;
  },
  readerLang: Language = 'en',
): string {
  const lang = list.subjectsInEnglish ? 'en' : readerLang;
  const template = kind === 'resolved' ? list.subjectResolved : list.subjectUpdate;
  if (template !== null) {
    const drill = d.isDrill ? `${DRILL_MARK} ` : '';
    const title = headerText(d.title);
    const impact = headerText(impactWord(d.impact, lang));
    const values: Record<string, string> = {
      priority: String(d.priority),
      title,
      TITLE: title.toLocaleUpperCase(lang),
      impact,
      status: headerText(d.statusLabel),
    };
    return `${drill}${headerText(template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m))}`;
  }
  if (list.isInternal) return incidentSubject(kind, d, lang);
  return publicSubject(kind, d, lang);
}

/**
 * `listSubject` for an update or all-clear going out now, with the status in the subject's
 * language: the mail and the review before publishing both take their subject from here.
 */
export function updateListSubject(
  kind: 'update' | 'resolved',
  list: Parameters<typeof listSubject>[1],
  d: { priority: number; title: string; isDrill: boolean; impact: string; status: string },
  readerLang: Language = 'en',
): string {
  const subjectLang = list.subjectsInEnglish ? 'en' : readerLang;
  const statusLabel = translatorFor(subjectLang).t(`status.${d.status}` as MessageKey);
  return listSubject(kind, list, { ...d, statusLabel }, readerLang);
}
