import type { RecordForMail } from '../../domain/record/record-views.ts';
import { formatClock } from '../../domain/shared/zoned-time.ts';

/**
 * The internal note of an internal-list email, with what the record adds: the fact-sheet
 * answers that changed since the last email and the open action items
 * ("Ana: roll back deploy 4711, by 14:20 UTC"), and on the all-clear the people who worked on
 * it, by name. Public lists never get this: the caller passes
 * the note only for internal lists, the same rule as the note itself.
 */
export function internalNoteWithRecord(
  note: string | null,
  record: RecordForMail | null,
  timeZone: string,
  now: Date,
): string | null {
  const parts: string[] = [];
  if (note) parts.push(note);
  if (record && record.changedFacts.length > 0)
    parts.push(
      [
        'Fact sheet (changed):',
        ...record.changedFacts.map((f) => `- ${f.question} ${f.answer}`),
      ].join('\n'),
    );
  if (record && record.openActionItems.length > 0)
    parts.push(
      [
        'Open action items:',
        ...record.openActionItems.map(
          (i) => `- ${i.owner}: ${i.title}, by ${formatClock(i.dueAt, timeZone, now)}`,
        ),
      ].join('\n'),
    );
  if (record && record.people.length > 0)
    parts.push(`Thank you to everyone who worked on this: ${record.people.join(', ')}.`);
  return parts.length > 0 ? parts.join('\n\n') : null;
}
