import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Deps } from '../deps.ts';
import type { Actor } from '../domain/shared/actor.ts';
import { runOnce } from '../domain/submissions/run-once.ts';
import {
  claimSubmissionKey,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  IdempotentAnswerNotKeptError,
  submissionKeyOf,
} from '../domain/submissions/submission-keys.ts';

/** What a client names a write with so that sending it again never does it twice. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** Visible ASCII, as Stripe takes it; a UUID is the usual choice. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Runs a write of the admin API or the management API (/v1) for `actor` at most once per
 * `Idempotency-Key` (optional: without the header it simply runs). The key is claimed in the
 * database before the write, so two requests with it, on any Herald process, run it once: the
 * first answers, a later one gets the same status and body again (`Idempotent-Replayed: true`),
 * one sent while the first still runs a 409 to retry, and one with another method, path or body
 * a 422. A request that fails (refused input, a busy database) gives the key back, since it
 * changed nothing (runOnce). An answer holding a secret shown once is never stored; its replay
 * is a 409 that says so. The refusals are domain errors, so each API answers them in its own
 * error shape.
 */
export async function answerOnce(
  deps: Deps,
  c: Context,
  actor: Actor,
  opts: { secretAnswer: boolean },
  run: () => Promise<Response>,
): Promise<Response> {
  const sent = c.req.header(IDEMPOTENCY_HEADER);
  if (sent === undefined) return run();
  if (!KEY_PATTERN.test(sent))
    throw new HTTPException(400, {
      message: `${IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters (a UUID is a good choice).`,
    });
  // Each caller's keys are its own: another token's key never answers for this one.
  const key = submissionKeyOf(`api:${actor.type}:${actor.id ?? actor.label}`, sent);
  const claim = await claimSubmissionKey(deps, { key, fingerprint: await fingerprint(c) });
  if (!claim.claimed) {
    if (!claim.sameRequest)
      throw new IdempotencyKeyReusedError(
        `This ${IDEMPOTENCY_HEADER} was already used for a different request (another method, path or body). Send a new key with a new request.`,
      );
    if (claim.running)
      throw new IdempotencyKeyInUseError(
        `The first request with this ${IDEMPOTENCY_HEADER} is still running. Send it again in a moment to get its answer.`,
      );
    if (claim.status !== 204 && claim.answer === null)
      throw new IdempotentAnswerNotKeptError(
        `The first request with this ${IDEMPOTENCY_HEADER} already succeeded (${claim.status}); its answer held a secret that is shown once and never kept, so it cannot be sent again. List the objects to find it; if the secret was lost, replace it.`,
      );
    c.header('Idempotent-Replayed', 'true');
    if (claim.location) c.header('Location', claim.location);
    if (claim.status === 204 || claim.answer === null) return c.body(null, 204);
    return c.body(claim.answer, (claim.status ?? 200) as 200, {
      'content-type': 'application/json',
    });
  }
  return runOnce(deps, key, run, {
    outcome: async (res) => ({
      status: res.status,
      location: res.headers.get('location'),
      answer: opts.secretAnswer || res.status === 204 ? null : await res.clone().text(),
    }),
    failures: {
      giveBack: 'could not give back an Idempotency-Key after a failed request',
      record: 'could not record the answer of an Idempotency-Key request',
    },
  });
}

/**
 * What makes two requests "the same": method, path, query and body. A JSON body is compared by
 * its content (key order and spacing do not matter), anything else byte for byte.
 */
async function fingerprint(c: Context): Promise<string> {
  const url = new URL(c.req.url);
  url.searchParams.sort();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  const hash = createHash('sha256').update(`${c.req.method} ${url.pathname}?${url.searchParams}\n`);
  let canonical: string | null = null;
  try {
    canonical = JSON.stringify(sortKeys(JSON.parse(new TextDecoder().decode(bytes))));
  } catch {
    canonical = null;
  }
  return (canonical === null ? hash.update(bytes) : hash.update(canonical)).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
