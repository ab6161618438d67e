import type { Deps } from '../../deps.ts';
import type { Language } from '../../i18n/languages.ts';
import { followIncidentByEmail } from '../../domain/subscribers/follow-incident-by-email.ts';
import { followIncidentByWebhook } from '../../domain/webhooks/follow-incident.ts';
import { RateLimiter } from '../../http/rate-limit.ts';
import {
  type FormOutcome,
  type FormResult,
  formValues,
  runForm,
  runPageAction,
  str,
} from './form.ts';

export type FollowOutcome =
  FormOutcome | { ok: true; redirect: null; secret: string; url: string; managePath: string };

/**
 * "Get updates on this incident", by webhook or by email: the per-visitor page behind the
 * incident page. Both share one per-client limit; the email follow is also limited per address
 * (in the domain, durable across processes, shared with list subscriptions).
 */
export function createFollowPages(deps: Deps) {
  // 10 follows taken per client address per 10 minutes: a refused one (a typo, a bad URL, a
  // resolved incident) is not counted.
  const perClient = new RateLimiter(10, 10 * 60_000);
  return {
    async follow(
      incidentId: string,
      form: FormData,
      clientAddress: string,
    ): Promise<FollowOutcome> {
      const values = formValues(form);
      let made: { secret: string; url: string; managePath: string } | null = null;
      const r = await runForm(values, async () => {
        perClient.check(clientAddress, deps.clock.now());
        const url = str(values, 'url');
        const { secret, manageToken } = await followIncidentByWebhook(deps, { incidentId, url });
        perClient.count(clientAddress, deps.clock.now());
        made = { secret, url: url.trim(), managePath: `/manage/webhook/${manageToken}` };
        return '';
      });
      if (!r.ok || !made) return r;
      const m = made as { secret: string; url: string; managePath: string };
      return { ok: true, redirect: null, ...m };
    },
    /** The email follow: the answer ("check your inbox") is the same for every address. */
    followByEmail(
      incidentId: string,
      form: FormData,
      clientAddress: string,
      language?: Language,
    ): Promise<FormResult<{ email: string }>> {
      const values = formValues(form);
      return runPageAction(values, async () => {
        perClient.check(clientAddress, deps.clock.now());
        const r = await followIncidentByEmail(deps, {
          incidentId,
          email: str(values, 'email'),
          ...(language ? { language } : {}),
        });
        perClient.count(clientAddress, deps.clock.now());
        return r;
      });
    },
  };
}
export type FollowPages = ReturnType<typeof createFollowPages>;
