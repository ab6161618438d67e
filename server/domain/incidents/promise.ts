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
  const minutes = input.nextUpdateInMinutes ?? (isBroadcastPriority(priority) ? DEFAULT_PROMISE_MINUTES : undefined);
  return minutes === undefined ? null : new Date(now.getTime() + minutes * 60_000);
}
