import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { type IncidentStatus, incidentComponents, type lists } from '../../../db/schema/index.ts';
import { DEFAULT_LANGUAGE, type Language, parseLanguage } from '../../i18n/languages.ts';
import { updateListSubject } from '../shared/subjects.ts';
import { updateBroadcastLists } from './enqueue-update-broadcast.ts';
import { countRecipientsByListAndLanguage } from './queue-deliveries.ts';

type ListRow = typeof lists.$inferSelect;

/** One list as a review before publishing shows it: who it is for, what they get, how many. */
export interface ListReview {
  name: string;
  slug: string;
  audience: 'public' | 'internal';
  /** The named audience whose own list it is (it reads that audience's texts); null for none. */
  namedAudience: string | null;
  subjectsInEnglish: boolean;
  recipients: number;
  /** Each distinct subject line its readers get, with the languages that get it and how many. */
  subjects: { subject: string; languages: Language[]; recipients: number }[];
}

/**
 * Each list a broadcast would go to, with its recipients and the subject line each of them would
 * get, by the language they read (`subjectFor` is the very function the mail takes its subject
 * from), and how many people it reaches in all. The counts are those of the rule the broadcast
 * then queues with: an address on several of the lists gets one copy, its most internal list's,
 * and is counted on that list alone, so the lists' figures add up to the total.
 */
export async function reviewLists(
  db: DbOrTx,
  to: readonly (ListRow & { audience?: { name: string } | null })[],
  componentIds: string[],
  subjectFor: (list: ListRow, lang: Language) => string,
): Promise<{ lists: ListReview[]; recipients: number }> {
  const counted = await countRecipientsByListAndLanguage(db, {
    listIds: to.map((l) => l.id),
    componentIds,
  });
  const out: ListReview[] = [];
  for (const l of to) {
    const byLanguage = counted.filter((r) => r.listId === l.id);
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
      namedAudience: l.audience?.name ?? null,
      subjectsInEnglish: l.subjectsInEnglish,
      recipients: byLanguage.reduce((n, r) => n + r.recipients, 0),
      subjects: [...subjects.values()],
    });
  }
  return { lists: out, recipients: counted.reduce((n, r) => n + r.recipients, 0) };
}

/**
 * The lists an update or the all-clear of this incident would go to now, as a review before
 * it goes shows them: the broadcast's own lists and components, the mail's own subjects.
 */
export async function reviewUpdateLists(
  db: DbOrTx,
  incident: {
    id: string;
    title: string;
    priority: number;
    isDrill: boolean;
    impact: string;
    audienceOnly?: boolean;
  },
  status: IncidentStatus,
): Promise<{ lists: ListReview[]; recipients: number }> {
  const componentIds = (
    await db
      .select({ id: incidentComponents.componentId })
      .from(incidentComponents)
      .where(eq(incidentComponents.incidentId, incident.id))
  ).map((c) => c.id);
  const to = await updateBroadcastLists(db, { ...incident, componentIds });
  const kind = status === 'resolved' ? 'resolved' : 'update';
  return reviewLists(db, to, componentIds, (l, lang) =>
    updateListSubject(kind, l, { ...incident, status }, lang),
  );
}
