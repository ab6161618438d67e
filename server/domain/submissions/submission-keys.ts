import { and, eq, lte, or, sql } from 'drizzle-orm';
import { submissionKeys } from '../../../db/schema/index.ts';
import { sha256 } from '../auth/secrets.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { DomainError } from '../shared/errors.ts';

/**
 * How long a used key is remembered. A double-click or a client's retry comes within seconds;
 * a day covers a retry queue that waits out an outage, and a key seen again later runs again.
 */
export const SUBMISSION_KEY_HOURS = 24;

/**
 * How long a first request may stay "running" before its key is free again. No admin form or
 * API write runs this long (a write waits at most seconds for the database); a row still running
 * after it belongs to a process that died mid-request, whose key would otherwise answer "still
 * running" for a day.
 */
export const SUBMISSION_RUNNING_MINUTES = 10;

/**
 * The stored key: the SHA-256 of whose it is (`form:<user id>`, `api:token:<id>`) and the key
 * as sent, so one person's key never answers for another and the key itself is not kept.
 */
export function submissionKeyOf(scope: string, sent: string): string {
  return sha256(`${scope}\n${sent}`);
}

/** What a claim found: this request runs, or the key's first request (running or answered). */
export type SubmissionClaim =
  | { claimed: true }
  | {
      claimed: false;
      /** The same content as the first request (same method, path and body). */
      sameRequest: boolean;
      /** The first request has not answered yet. */
      running: boolean;
      status: number | null;
      location: string | null;
      answer: string | null;
    };

/**
 * Claims a key for one request, atomically across every process on the database: the INSERT
 * on the primary key succeeds for exactly one of any number of requests sent at once. A row
 * past its expiry, or left running by a process that died, is taken over in the same statement. Whoever loses reads the first request's
 * row in the same transaction, so it sees it running or answered, never half-written.
 */
export async function claimSubmissionKey(
  deps: DomainDeps,
  input: { key: string; fingerprint: string },
): Promise<SubmissionClaim> {
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + SUBMISSION_KEY_HOURS * 3_600_000);
  return deps.db.transaction(async (tx) => {
    const won = await tx
      .insert(submissionKeys)
      .values({
        key: input.key,
        fingerprint: input.fingerprint,
        state: 'running',
        createdAt: now,
        expiresAt,
      })
      .onConflictDoUpdate({
        target: submissionKeys.key,
        set: {
          fingerprint: input.fingerprint,
          state: 'running',
          status: null,
          location: null,
          answer: null,
          createdAt: now,
          expiresAt,
        },
        setWhere: or(
          lte(submissionKeys.expiresAt, now),
          and(
            eq(submissionKeys.state, 'running'),
            lte(
              submissionKeys.createdAt,
              new Date(now.getTime() - SUBMISSION_RUNNING_MINUTES * 60_000),
            ),
          ),
        ),
      })
      .returning({ key: submissionKeys.key });
    if (won.length > 0) return { claimed: true } as const;
    const [row] = await tx.select().from(submissionKeys).where(eq(submissionKeys.key, input.key));
    // The INSERT lost to a row this transaction still sees: it cannot have gone in between.
    if (!row) throw new Error('submission key vanished inside its claim');
    return {
      claimed: false,
      sameRequest: row.fingerprint === input.fingerprint,
      running: row.state === 'running',
      status: row.status,
      location: row.location,
      answer: row.answer,
    } as const;
  });
}

/** Records what the key's request answered, for every later request with the same key. */
export async function completeSubmissionKey(
  deps: DomainDeps,
  key: string,
  outcome: { status: number; location?: string | null; answer?: string | null },
): Promise<void> {
  await deps.db.transaction((tx) =>
    tx
      .update(submissionKeys)
      .set({
        state: 'done',
        status: outcome.status,
        location: outcome.location ?? null,
        answer: outcome.answer ?? null,
      })
      .where(and(eq(submissionKeys.key, key), eq(submissionKeys.state, 'running'))),
  );
}

/**
 * Gives a key back after its request changed nothing (refused input, an error): the corrected
 * resubmit, or the client's retry, runs instead of being told it was already done.
 */
export async function releaseSubmissionKey(deps: DomainDeps, key: string): Promise<void> {
  await deps.db.transaction((tx) =>
    tx
      .delete(submissionKeys)
      .where(and(eq(submissionKeys.key, key), eq(submissionKeys.state, 'running'))),
  );
}

/** The key's row as it stands (for a request waiting on the first one), or null once released. */
export async function readSubmissionKey(
  deps: DomainDeps,
  key: string,
): Promise<{ state: 'running' | 'done' } | null> {
  const [row] = await deps.db
    .select({ state: submissionKeys.state })
    .from(submissionKeys)
    .where(eq(submissionKeys.key, key));
  return row ?? null;
}

/**
 * Forgets expired keys, at most `limit` a pass (the scheduler's next pass takes the rest). Looks
 * first, so a pass with nothing to forget takes no write lock.
 */
export async function pruneSubmissionKeys(deps: DomainDeps, limit = 1000): Promise<number> {
  const now = deps.clock.now();
  const [due] = await deps.db
    .select({ key: submissionKeys.key })
    .from(submissionKeys)
    .where(lte(submissionKeys.expiresAt, now))
    .limit(1);
  if (!due) return 0;
  const gone = await deps.db.transaction((tx) =>
    tx
      .delete(submissionKeys)
      .where(
        sql`${submissionKeys.key} IN (SELECT ${submissionKeys.key} FROM ${submissionKeys}
          WHERE ${submissionKeys.expiresAt} <= ${now.getTime()} LIMIT ${limit})`,
      )
      .returning({ key: submissionKeys.key }),
  );
  return gone.length;
}

/** The same `Idempotency-Key` sent again with another method, path or body: refused (422). */
export class IdempotencyKeyReusedError extends DomainError {
  override readonly code = 'idempotency_key_reused';
}

/** The same `Idempotency-Key` while its first request still runs: try again shortly (409). */
export class IdempotencyKeyInUseError extends DomainError {
  override readonly code = 'idempotency_key_in_use';
  readonly retryAfterSeconds = 1;
}

/**
 * The same `Idempotency-Key` after a request whose answer held a secret shown once (a new API
 * token, a webhook's signing secret): Herald never keeps that answer, so it cannot repeat it (409).
 */
export class IdempotentAnswerNotKeptError extends DomainError {
  override readonly code = 'idempotency_answer_not_kept';
}
