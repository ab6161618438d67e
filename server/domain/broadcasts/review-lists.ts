import type { DbOrTx } from '../../../db/client.ts';
import type { lists } from '../../../db/schema/index.ts';
import { DEFAULT_LANGUAGE, type Language, parseLanguage } from '../../i18n/languages.ts';
import { countRecipientsByLanguage } from './queue-deliveries.ts';

type ListRow = typeof lists.$inferSelect;

/** One list as a review before publishing shows it: who it is for, what they get, how many. */
export interface ListReview {
  name: string;
  slug: string;
  audience: 'public' | 'internal';
  subjectsInEnglish: boolean;
  recipients: number;
  /** Each distinct subject line its readers get, with the languages that get it and how many. */
  subjects: { subject: string; languages: Language[]; recipients: number }[];
}

/**
 * Each list a broadcast would go to, with its recipients (the same rule the broadcast then
 * queues with) and the subject line each of its readers would get, by the language they read:
 * `subjectFor` is the very function the mail takes its subject from.
 */
export async function reviewLists(
  db: DbOrTx,
  to: readonly ListRow[],
  componentIds: string[],
  subjectFor: (list: ListRow, lang: Language) => string,
): Promise<ListReview[]> {
  const out: ListReview[] = [];
  for (const l of to) {
    const byLanguage = await countRecipientsByLanguage(db, { listIds: [l.id], componentIds });
    // A list nobody reads yet still shows the subject its first reader would get.
    const readers = byLanguage.length
      ? byLanguage
      : [{ language: DEFAULT_LANGUAGE, recipients: 0 }];
    const subjects = new Map<string, ListReview['subjects'][number]>();
    for (const r of readers) {
      const lang = parseLanguage(r.language) ?? DEFAULT_LANGUAGE;
      const subject = subjectFor(l, lang);
      const s = subjects.get(subject) ?? { subject, languages: [], recipients: 0 };
      if (!s.languages.includes(lang)) s.languages.push(lang);
      s.recipients += r.recipients;
      subjects.set(subject, s);
    }
    out.push({
      name: l.name,
      slug: l.slug,
      audience: l.isInternal ? 'internal' : 'public',
      subjectsInEnglish: l.subjectsInEnglish,
      recipients: byLanguage.reduce((n, r) => n + r.recipients, 0),
      subjects: [...subjects.values()],
    });
  }
  return out;
}
