import type { Logger } from '../../logger.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { completeSubmissionKey, releaseSubmissionKey } from './submission-keys.ts';

/** What a later request with the key is told: the first one's status, where it went, its body. */
export interface SubmissionOutcome {
  status: number;
  location?: string | null;
  answer?: string | null;
}

/**
 * Runs the first request with a claimed key (`claimSubmissionKey` said `claimed`), for the admin
 * API's and the management API's `Idempotency-Key` and the admin forms' one-time token alike. A
 * request that throws, or whose result `outcome` calls a refusal (null), changed nothing: its key
 * is given back, so the corrected request or the client's retry runs. Otherwise its outcome is
 * recorded for every later request with the key. A failure to give back or to record is logged,
 * never thrown: the request's own answer stands.
 */
export async function runOnce<T>(
  deps: DomainDeps & { log: Logger },
  key: string,
  run: () => Promise<T>,
  opts: {
    /** What to record for the result, or null when it changed nothing. */
    outcome: (result: T) => SubmissionOutcome | null | Promise<SubmissionOutcome | null>;
    /** The log lines for a key not given back and an outcome not recorded. */
    failures: { giveBack: string; record: string };
  },
): Promise<T> {
  const giveBack = () =>
    releaseSubmissionKey(deps, key).catch((e: unknown) =>
      deps.log.error(opts.failures.giveBack, { error: String(e) }),
    );
  let result: T;
  try {
    result = await run();
  } catch (err) {
    await giveBack();
    throw err;
  }
  const outcome = await opts.outcome(result);
  if (outcome === null) {
    await giveBack();
    return result;
  }
  // The request is committed: failing to record its outcome must not turn it into an error. The
  // key then stays "running" until it expires, so a repeat is told to wait, never run twice.
  await completeSubmissionKey(deps, key, outcome).catch((e: unknown) =>
    deps.log.error(opts.failures.record, { error: String(e) }),
  );
  return result;
}
