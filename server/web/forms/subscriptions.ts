import type { Language } from '../../i18n/languages.ts';
import { publicActor } from '../../domain/subscribers/public-actor.ts';
import {
  confirmSubscription,
  readConfirmation,
} from '../../domain/subscribers/confirm-subscription.ts';
import {
  readSubscription,
  unsubscribeByToken,
  updateSubscriptionComponents,
} from '../../domain/subscribers/manage-subscription.ts';
import {
  requestSubscription,
  type RequestSubscriptionResult,
} from '../../domain/subscribers/request-subscription.ts';
import {
  listsOpenTo,
  publicList,
  readComponentChoices,
} from '../../domain/subscribers/subscriber-reads.ts';
import type { Deps } from '../../deps.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import { RateLimiter } from '../../http/rate-limit.ts';
import { assertSameOrigin, originOf } from '../../http/same-origin.ts';
import { type FormResult, formValues, list, runPageAction, str } from './form.ts';
import {
  readPublicWebhook,
  removePublicWebhook,
  signUpPublicWebhook,
} from '../../domain/webhooks/public-signup.ts';
import { webhookEvents } from '../../../db/schema/enums.ts';
import { postWebhook } from '../../delivery/webhook-channel.ts';

/** The webhook sign-up's test answers within this, or the form says so (as the lane's limit). */
const WEBHOOK_TEST_TIMEOUT_MS = 10_000;

/**
 * What the subscribe, confirm and manage pages may do, handed to Astro through `locals`.
 * Every action goes through runPageAction, so a domain error reaches the page as the same
 * FormFailure the admin forms get. Every POST passes the same-origin guard; subscribe
 * requests are also limited per client (here) and per address (in the domain, durable
 * across processes).
 */
export function createSubscriptionPages(deps: Deps) {
  // 20 subscribe requests taken per client address per 10 minutes.
  const perClient = new RateLimiter(20, 10 * 60_000);
  // Each webhook sign-up makes Herald send a request somewhere: 5 tests per client per 10 minutes.
  const webhooksPerClient = new RateLimiter(5, 10 * 60_000);
  const guard = (request: Request) =>
    assertSameOrigin(request.headers, [
      originOf(deps.config.publicUrl),
      new URL(request.url).origin,
    ]);

  return {
    async formOptions() {
      const lists = await listsOpenTo(deps.db, deps.config, null);
      return {
        lists: lists.map(publicList),
        components: await readComponentChoices(deps.db),
        /** The events a visitor's webhook may ask for; null where sign-up is not open. */
        webhookEvents: deps.config.publicWebhookSignup ? [...webhookEvents] : null,
      };
    },
    /**
     * A visitor's webhook: tested with a signed request first, saved only when it answers 2xx.
     * The answer carries the secret and the manage link, shown this once.
     */
    signUpWebhook(request: Request, form: FormData, clientAddress: string) {
      const values = formValues(form);
      return runPageAction(values, async () => {
        guard(request);
        // Refused here once the client has no sign-up left; counted only when Herald is about
        // to post the test, so typos and bad URLs never use the allowance up.
        webhooksPerClient.check(clientAddress, deps.clock.now());
        const r = await signUpPublicWebhook(
          deps,
          {
            url: str(values, 'url'),
            componentIds: list(values, 'componentIds'),
            events: list(values, 'events'),
          },
          async (req) => {
            webhooksPerClient.hit(clientAddress, deps.clock.now());
            const result = await postWebhook(req, deps.clock.now(), {
              timeoutMs: WEBHOOK_TEST_TIMEOUT_MS,
              maxBytes: 16 * 1024,
              event: 'test',
            });
            // The visitor is told only the status class; the details are for the operators.
            if ('error' in result)
              deps.log.info('public webhook sign-up: test delivery not accepted', {
                url: req.url,
                error: result.error,
              });
            return result;
          },
        );
        return {
          ...r,
          url: str(values, 'url').trim(),
          managePath: `/manage/webhook/${r.manageToken}`,
        };
      });
    },
    readWebhook: (token: string) => runPageAction({}, () => readPublicWebhook(deps, { token })),
    removeWebhook: (request: Request, token: string) =>
      runPageAction({}, async () => {
        guard(request);
        return removePublicWebhook(deps, { token });
      }),
    /**
     * A subscribe request. When the list choice was shown and nothing ticked, the failure
     * carries the lists to show again (`choose`) rather than guessing.
     */
    async subscribe(
      request: Request,
      form: FormData,
      clientAddress: string,
      language?: Language,
    ): Promise<
      FormResult<RequestSubscriptionResult> & { choose?: ReturnType<typeof publicList>[] }
    > {
      const values = formValues(form);
      const email = str(values, 'email');
      const listIds = list(values, 'listIds');
      if (str(values, 'choosing') && listIds.length === 0) {
        const lists = await listsOpenTo(deps.db, deps.config, email.trim().toLowerCase());
        const r = await runPageAction(values, async () => {
          throw new ValidationError(
            'Tick at least one list.',
            { listIds: 'Tick at least one list.' },
            { listIds: { key: 'valid.tickList' } },
          );
        });
        return { ...r, choose: lists.map(publicList) };
      }
      return runPageAction(values, async () => {
        guard(request);
        // Refused here once the client has no request left; counted only when one is taken
        // (a confirmation is on its way), so typos and refused addresses never use it up.
        perClient.check(clientAddress, deps.clock.now());
        const r = await requestSubscription(
          deps,
          { email, listIds, componentIds: list(values, 'componentIds'), language },
          publicActor,
        );
        if (r.outcome === 'sent') perClient.count(clientAddress, deps.clock.now());
        return r;
      });
    },
    readConfirmation: (token: string) => runPageAction({}, () => readConfirmation(deps, { token })),
    confirm: (request: Request, token: string) =>
      runPageAction({}, async () => {
        guard(request);
        return confirmSubscription(deps, { token });
      }),
    readManage: (token: string) => runPageAction({}, () => readSubscription(deps, { token })),
    /** The manage page's two buttons: save the component choice, or unsubscribe. */
    manage(request: Request, token: string, form: FormData) {
      const values = formValues(form);
      return runPageAction(values, async () => {
        guard(request);
        if (str(values, 'action') === 'unsubscribe') {
          await unsubscribeByToken(deps, { token });
          return { unsubscribed: true, message: null };
        }
        const language = str(values, 'language');
        await updateSubscriptionComponents(deps, {
          token,
          componentIds: str(values, 'everything') ? [] : list(values, 'componentIds'),
          ...(language ? { language } : {}),
        });
        return { unsubscribed: false, message: 'Saved. Your next emails follow these choices.' };
      });
    },
  };
}

export type SubscriptionPages = ReturnType<typeof createSubscriptionPages>;
