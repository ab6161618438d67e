import type { DbOrTx } from '../../../db/client.ts';
import { getSettings, type Settings } from '../settings/get-settings.ts';
import { ValidationError } from '../shared/errors.ts';
import { translatorFor } from '../../i18n/catalogue.ts';
import { LANGUAGE_TAGS } from '../../i18n/languages.ts';

export const DEFAULT_PROMISE_MINUTES = 30;

/** Minutes of the default next-update promise, indexed by priority; null promises nothing. */
export type PromiseDefaults = readonly [number, number, number | null, number | null];

/** When every second counts, updates go out at least every 15 minutes. */
export const DEFAULT_PROMISES: PromiseDefaults = [15, DEFAULT_PROMISE_MINUTES, null, null];

/** The page's promise defaults (settings), for every caller that promises an update. */
export async function readPromiseDefaults(db: DbOrTx): Promise<PromiseDefaults> {
  return promiseDefaultsOf(await getSettings(db));
}

export function promiseDefaultsOf(s: Settings): PromiseDefaults {
  return [s.promiseMinutesP0, s.promiseMinutesP1, s.promiseMinutesP2, s.promiseMinutesP3];
}

/**
 * The promise a P0/P1 update makes when nothing was chosen; the configured P2/P3 value when
 * there is one. P0/P1 always promise: a missing value falls back to the built-in default.
 */
export function defaultPromiseMinutes(
  defaults: PromiseDefaults,
  priority: number,
): number | undefined {
  const configured = defaults[priority] ?? null;
  if (configured !== null) return configured;
  return isBroadcastPriority(priority) ? (DEFAULT_PROMISES[priority] ?? undefined) : undefined;
}

/** P0 and P1 are broadcast and always promise the next update; P2/P3 only when asked. */
export function isBroadcastPriority(priority: number): boolean {
  return priority <= 1;
}

/**
 * The time of the next promised update. Without a choice, the priority's default (P0 15 and
 * P1 30 minutes unless the settings say otherwise); an explicit time must lie in the future.
 * Resolved incidents promise nothing.
 */
export function nextUpdateDue(
  now: Date,
  priority: number,
  resolved: boolean,
  input: { nextUpdateInMinutes?: number | undefined; nextUpdateAt?: Date | undefined },
  defaults: PromiseDefaults = DEFAULT_PROMISES,
): Date | null {
  if (resolved) return null;
  if (input.nextUpdateAt) {
    if (input.nextUpdateAt.getTime() <= now.getTime()) {
      throw new ValidationError('The next update must be promised for a time in the future.', {
        nextUpdateAt: 'must be in the future',
      });
    }
    return input.nextUpdateAt;
  }
  const minutes = input.nextUpdateInMinutes ?? defaultPromiseMinutes(defaults, priority);
  return minutes === undefined ? null : new Date(now.getTime() + minutes * 60_000);
}

/** The owner is reminded this long before a promise lapses. */
export const REMINDER_LEAD_MS = 5 * 60_000;

/**
 * How long after a lapsed promise the public page still shows its time; after that it says the
 * next update is late. The admin dashboard marks it overdue at once.
 */
export const PROMISE_GRACE_MS = 3 * 60_000;

const stillDoing: Record<string, string> = {
  investigating: 'Still investigating.',
  identified: 'Still working on the fix.',
  monitoring: 'Still monitoring.',
};
const HOLDING_OPENING = 'Nothing to update.';

/**
 * The holding update (one click, or posted by Herald when a promise lapses with auto_holding
 * on): says what is still being done under the incident's current status.
 */
export function holdingBody(status: string, minutes: number): string {
  return `${holdingLine(status)} ${nextUpdateSentence(minutes)}`;
}

/**
 * The holding text in every language Herald speaks, stored as the update's translations: the
 * words are Herald's own (the catalogue's, written by people), not the PM's, so every reader
 * gets them in their language, also when Herald posts the update itself.
 */
export function holdingTranslations(status: string, minutes: number): Record<string, string> {
  return Object.fromEntries(
    LANGUAGE_TAGS.map((l) => [l, translatorFor(l).t('holding.body', { status, minutes })]),
  );
}

/** "Nothing to update. Still monitoring.": the holding text without its promise. */
export function holdingLine(status: string): string {
  return `${HOLDING_OPENING} ${stillDoing[status] ?? stillDoing.investigating}`;
}

export function nextUpdateSentence(minutes: number): string {
  return `Next update in ${minutes} minutes.`;
}
/** The holding text under Investigating with the default promise (reminder emails quote it). */
export const HOLDING_BODY = holdingBody('investigating', DEFAULT_PROMISE_MINUTES);

/** Whether an update only holds the line (so pages can keep the last real news in view). */
export function isHoldingBody(body: string): boolean {
  return body.startsWith(HOLDING_OPENING);
}

export type PromiseState = 'none' | 'pending' | 'due_soon' | 'overdue';

/** Where an incident's promise stands at `now`: for the dashboard's countdown and overdue mark. */
export function promiseState(
  incident: { status: string; nextUpdateDueAt: Date | null },
  now: Date,
): { state: PromiseState; msLeft: number | null } {
  if (incident.status === 'resolved' || !incident.nextUpdateDueAt)
    return { state: 'none', msLeft: null };
  const msLeft = incident.nextUpdateDueAt.getTime() - now.getTime();
  if (msLeft <= 0) return { state: 'overdue', msLeft };
  return { state: msLeft <= REMINDER_LEAD_MS ? 'due_soon' : 'pending', msLeft };
}

export interface PromiseEntry {
  /** The update that made the promise. */
  updateId: string;
  promisedAt: Date;
  dueAt: Date;
  /** The update that answered it, and when it went out; null while still open. */
  keptByUpdateId: string | null;
  answeredAt: Date | null;
  /** Herald posted the answering holding update itself. */
  answeredAutomatically: boolean;
  /** true kept, false broken (late or still lapsed), null not due yet. */
  kept: boolean | null;
  /** How late the answer came (or, while lapsed, how late it is now); 0 when on time. */
  lateByMs: number;
}

export interface PromiseReport {
  entries: PromiseEntry[];
  promises: number;
  kept: number;
  broken: number;
  /** True when every promise that fell due was kept. */
  allKept: boolean;
  maxLateMs: number;
}

/**
 * Whether every promise in an incident's timeline was kept: each published update that
 * promised the next one is answered by the next published update (by when readers got it,
 * `published_at`, not its display time). An unanswered promise is open until it lapses.
 */
export function promiseReport(
  updates: readonly {
    id: string;
    publishedAt: Date | null;
    nextUpdateDueAt: Date | null;
    automatic: boolean;
  }[],
  now: Date,
): PromiseReport {
  const published = updates
    .filter((u): u is typeof u & { publishedAt: Date } => u.publishedAt !== null)
    .sort((a, b) => a.publishedAt.getTime() - b.publishedAt.getTime());
  const entries: PromiseEntry[] = [];
  published.forEach((u, i) => {
    if (!u.nextUpdateDueAt) return;
    const next = published[i + 1];
    const due = u.nextUpdateDueAt.getTime();
    if (next) {
      const late = Math.max(0, next.publishedAt.getTime() - due);
      entries.push({
        updateId: u.id,
        promisedAt: u.publishedAt,
        dueAt: u.nextUpdateDueAt,
        keptByUpdateId: next.id,
        answeredAt: next.publishedAt,
        answeredAutomatically: next.automatic,
        kept: late === 0,
        lateByMs: late,
      });
    } else {
      const lapsed = now.getTime() > due;
      entries.push({
        updateId: u.id,
        promisedAt: u.publishedAt,
        dueAt: u.nextUpdateDueAt,
        keptByUpdateId: null,
        answeredAt: null,
        answeredAutomatically: false,
        kept: lapsed ? false : null,
        lateByMs: lapsed ? now.getTime() - due : 0,
      });
    }
  });
  const kept = entries.filter((e) => e.kept === true).length;
  const broken = entries.filter((e) => e.kept === false).length;
  return {
    entries,
    promises: entries.length,
    kept,
    broken,
    allKept: broken === 0,
    maxLateMs: entries.reduce((m, e) => Math.max(m, e.lateByMs), 0),
  };
}
