import { ValidationError } from '../shared/errors.ts';

export const DEFAULT_PROMISE_MINUTES = 30;

/** P0 and P1 are broadcast and always promise the next update; P2/P3 only when asked. */
export function isBroadcastPriority(priority: number): boolean {
  return priority <= 1;
}

/**
 * The time of the next promised update. P0/P1 default to 30 minutes; an explicit time must
 * lie in the future. Resolved incidents promise nothing.
 */
export function nextUpdateDue(
  now: Date,
  priority: number,
  resolved: boolean,
  input: { nextUpdateInMinutes?: number | undefined; nextUpdateAt?: Date | undefined },
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
  const minutes =
    input.nextUpdateInMinutes ??
    (isBroadcastPriority(priority) ? DEFAULT_PROMISE_MINUTES : undefined);
  return minutes === undefined ? null : new Date(now.getTime() + minutes * 60_000);
}

/** The owner is reminded this long before a promise lapses. */
export const REMINDER_LEAD_MS = 5 * 60_000;

/** What Herald posts by itself when a promise lapses on an incident with auto_holding on. */
export function holdingBody(minutes: number = DEFAULT_PROMISE_MINUTES): string {
  return `Nothing to update. Still investigating. Next update in ${minutes} minutes.`;
}
export const HOLDING_BODY = holdingBody();

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
