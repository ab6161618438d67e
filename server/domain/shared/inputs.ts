import { z } from 'zod';

// Input primitives shared by the verbs' schemas. Every schema here is strict about types (a
// JSON `null`, `""`, `[]` or `true` is never a number or a date) and idempotent: its output is
// also a valid input, so an adapter can parse with a verb's schema and hand the typed result to
// the verb, which parses it again.

/** "a, b or c": the values a choice allows, as its error message names them. */
export function either(options: readonly unknown[]): string {
  const words = options.map(String);
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

const LINE_BREAKS = /[\r\n\v\f\u0085\u2028\u2029]/;

/** Text made one line: each run of line breaks (and the spaces around it) becomes one space. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n\v\f\u0085\u2028\u2029]+\s*/g, ' ');
}

/**
 * A title (an incident's, a maintenance's, a drill's): one line of at most `max` characters. A
 * line break is refused, not folded away, so what is stored is what was sent; a text box never
 * sends one, only a crafted form or the API.
 */
export function titleText(max: number) {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(max, `must be at most ${max.toLocaleString('en-US')} characters`)
    .refine(
      (s) => !/[\r\n\v\f\u0085\u2028\u2029]/.test(s),
      'must be one line, without line breaks',
    );
}

/** Ids are ours (`newId`): short opaque strings. A 1 MB "id" is a mistake, not a lookup. */
export const idInput = z
  .string({ error: 'must be an id' })
  .min(1, 'is required')
  .max(64, 'is not an id');

const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2101, 0, 1);

/**
 * An instant: a Date from in-process callers (forms convert what was typed), or an ISO 8601
 * string with a time and an offset from JSON ("2026-12-01T10:00:00Z"). Years 2000 to 2100 only:
 * 0000 or 9999 is a typo, and 1970 is what a coerced `null` becomes.
 */
export const instantInput = z
  .union([z.date(), z.iso.datetime({ offset: true })], {
    error: 'must be a date and time such as 2026-12-01T10:00:00Z',
  })
  .transform((v) => (typeof v === 'string' ? new Date(v) : v))
  .refine((d) => !Number.isNaN(d.getTime()) && d.getTime() >= EARLIEST && d.getTime() < LATEST, {
    message: 'must be between the years 2000 and 2100',
  });

/** A whole number within a range, given as a number (never a string, boolean or null). */
export function intInput(min: number, max: number, message: string) {
  return z.number({ error: message }).int(message).min(min, message).max(max, message);
}

/**
 * A priority someone must pick (a report, a drill), as JSON sends it (a number); forms convert
 * their string explicitly. The message says what to pick.
 */
export const pickPriorityInput = z
  .number({ error: 'pick P0, P1, P2 or P3' })
  .int('pick P0, P1, P2 or P3')
  .min(0, 'pick P0, P1, P2 or P3')
  .max(3, 'pick P0, P1, P2 or P3');
