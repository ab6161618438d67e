import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deps } from '../../deps.ts';
import { newSecret } from '../../domain/shared/ids.ts';
import { runOnce } from '../../domain/submissions/run-once.ts';
import {
  claimSubmissionKey,
  readSubmissionKey,
  submissionKeyOf,
} from '../../domain/submissions/submission-keys.ts';
import { type FormFailure, formValues, type PagePostAnswer, runPageAction } from './form.ts';

/**
 * The hidden field holding each admin form's one-time token. It is written where every admin
 * form gets its CSRF field (site/src/components/admin/CsrfField.astro), so no form can forget it.
 */
export const SUBMISSION_FIELD = '_submission';

/**
 * How a repeat's page says it (`?sent=`, shown by site/src/layouts/Admin.astro): saved once;
 * or saved once, and what it showed once (a new secret) went to the first answer.
 */
export type RepeatNotice = 'again' | 'again-shown';

/** How long a repeat waits for the first request with its token before telling the person. */
const WAIT_MS = 30_000;
/** How often a repeat waiting on another Herald process looks at the token's row. */
const POLL_MS = 100;
/**
 * How long an answer shown in place (a new token's secret) is kept in this process for the
 * double-click's second request: the browser shows only that one, so it must show the secret.
 */
const SHOWN_KEEP_MS = 60_000;

/**
 * The one-time submission tokens of the admin forms. A form's token is claimed in the database
 * when its POST arrives (claimSubmissionKey: one INSERT on the primary key, so one request wins
 * across every process); the winner runs the form action; every other request with the token
 * (a double-click, a replayed request, the same form on another process) waits for it and
 * answers where it went, with a notice, instead of running it again. A form that changed
 * nothing (refused input, a preview, a confirmation asked for) gives its token back, so sending
 * it again runs again. A form without the token (a page rendered before tokens, a script) runs
 * as it always did. One per site mount: the requests running now are shared by its pages.
 */
export function createSubmissionGuard(deps: Deps) {
  /** The first requests running in this process, by key: a repeat here waits on the promise. */
  const running = new Map<string, Promise<unknown>>();
  const shown = new Map<string, { answer: PagePostAnswer; until: number }>();

  async function first(
    key: string,
    path: string,
    post: () => Promise<PagePostAnswer>,
  ): Promise<PagePostAnswer> {
    return runOnce(deps, key, post, {
      // A form that changed nothing (refused input, a preview, a confirmation asked for) gives
      // its token back.
      outcome: (answer) => {
        if (!answer.ok) return null;
        const now = Date.now();
        for (const [k, v] of shown) if (v.until <= now) shown.delete(k);
        if (answer.redirect === null) shown.set(key, { answer, until: now + SHOWN_KEEP_MS });
        return {
          status: answer.redirect === null ? 200 : 303,
          location: answer.redirect ?? path,
        };
      },
      failures: {
        giveBack: 'could not give back a form token after a refused post',
        record: 'could not record where a form went',
      },
    });
  }

  /** Waits until the first request with the key answered or gave it back (or time is up). */
  async function waitFor(key: string, deadline: number): Promise<void> {
    const here = running.get(key);
    if (here) {
      await here.catch(() => undefined);
      return;
    }
    while (Date.now() < deadline) {
      const row = await readSubmissionKey(deps, key);
      if (row?.state !== 'running') return;
      await sleep(POLL_MS);
    }
  }

  function repeat(key: string, status: number | null, location: string): PagePostAnswer {
    const kept = shown.get(key);
    if (status === 200 && kept && kept.until > Date.now()) return kept.answer;
    return { ok: true, redirect: withNotice(location, status === 200 ? 'again-shown' : 'again') };
  }

  return {
    /** A new token for one rendered form. */
    token: () => newSecret(),
    /**
     * Runs `post` once for the form's token, for the user `userId`; `path` is the page's own
     * address (where a repeat of an answer shown in place goes).
     */
    async once(
      userId: string,
      path: string,
      form: FormData,
      post: () => Promise<PagePostAnswer>,
    ): Promise<PagePostAnswer> {
      const sent = form.get(SUBMISSION_FIELD);
      if (typeof sent !== 'string' || sent === '') return post();
      const key = submissionKeyOf(`form:${userId}`, sent);
      const values = formValues(form);
      const fingerprint = await formFingerprint(form);
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const claim = await runPageAction(values, () =>
          claimSubmissionKey(deps, { key, fingerprint }),
        );
        if (!claim.ok) return claim;
        const c = claim.value;
        if (c.claimed) {
          const run = first(key, path, post);
          running.set(key, run);
          try {
            return await run;
          } finally {
            running.delete(key);
          }
        }
        if (!c.sameRequest) return refused(values, OTHER_CONTENT);
        if (!c.running) return repeat(key, c.status, c.location ?? path);
        if (Date.now() >= deadline) return refused(values, STILL_SAVING);
        await waitFor(key, deadline);
      }
    },
  };
}

export type SubmissionGuard = ReturnType<typeof createSubmissionGuard>;

const OTHER_CONTENT =
  'This form was already sent once and saved, with other contents; what you typed now was not sent. Check the page, then send it again if it is still needed.';
const STILL_SAVING =
  'This form was already sent and is still being saved. Open the page again in a moment to see it before sending anything again.';

function refused(values: FormFailure['values'], message: string): FormFailure {
  return { ok: false, status: 409, message, errors: {}, values };
}

/** `location` (a path on Herald) with `?sent=` for the page's notice. */
export function withNotice(location: string, notice: RepeatNotice): string {
  const base = 'http://herald.invalid';
  const url = new URL(location, base);
  if (url.origin !== base) return location;
  url.searchParams.set('sent', notice);
  return url.pathname + url.search + url.hash;
}

/** What was sent, the CSRF field aside (a file by its name, type and bytes). */
async function formFingerprint(form: FormData): Promise<string> {
  const hash = createHash('sha256');
  for (const [name, value] of form.entries()) {
    if (name === '_csrf') continue;
    if (typeof value === 'string') {
      hash.update(`${JSON.stringify([name, value])}\n`);
      continue;
    }
    hash.update(`${JSON.stringify([name, value.name, value.type, value.size])}\n`);
    hash.update(new Uint8Array(await value.arrayBuffer()));
  }
  return hash.digest('hex');
}
