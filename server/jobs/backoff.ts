/**
 * When a temporarily failed send is tried again: exponential backoff from `baseMs`, capped at
 * `maxMs`, with jitter in [delay/2, delay] so a crowd of failures does not retry in step.
 * Shared by the mail outbox and the webhook lane, so both retry by one rule.
 */
export function retryAt(
  now: Date,
  attempts: number,
  o: { baseMs: number; maxMs: number; random: () => number },
): Date {
  const delay = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempts - 1));
  return new Date(now.getTime() + Math.round(delay * (0.5 + o.random() / 2)));
}
