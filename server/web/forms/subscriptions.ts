import { statusOf } from '../../http/errors.ts';
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
import { requestSubscription } from '../../domain/subscribers/request-subscription.ts';
import {
  listsOpenTo,
  publicList,
  readComponentChoices,
} from '../../domain/subscribers/subscriber-reads.ts';
import type { Deps } from '../../deps.ts';
import { DomainError, RateLimitedError, ValidationError } from '../../domain/shared/errors.ts';
import { RateLimiter } from '../../http/rate-limit.ts';
import { assertSameOrigin, originOf } from '../../http/same-origin.ts';

/**
 * What the subscribe, confirm and manage pages may do, handed to Astro through `locals`.
 * Every POST passes the same-origin guard; subscribe requests are also limited per client
 * (here) and per address (in the domain, durable across processes).
 */
export function createSubscriptionPages(deps: Deps) {
  // 20 subscribe requests per client address per 10 minutes.
  const perClient = new RateLimiter(20, 10 * 60_000);
  const guard = (request: Request) =>
    assertSameOrigin(request.headers, [
      originOf(deps.config.publicUrl),
      new URL(request.url).origin,
    ]);
  const all = (form: FormData, name: string) =>
    form.getAll(name).filter((v): v is string => typeof v === 'string');

  return {
    async formOptions() {
      const lists = await listsOpenTo(deps.db, deps.config, null);
      return { lists: lists.map(publicList), components: await readComponentChoices(deps.db) };
    },
    /** The lists an address may join (to show the choice again). */
    async listsFor(email: string) {
      return (await listsOpenTo(deps.db, deps.config, email.trim().toLowerCase())).map(publicList);
    },
    async subscribe(request: Request, form: FormData, clientAddress: string) {
      guard(request);
      perClient.hit(clientAddress, deps.clock.now());
      return requestSubscription(
        deps,
        {
          email: String(form.get('email') ?? ''),
          listIds: all(form, 'listIds'),
          componentIds: all(form, 'componentIds'),
        },
        publicActor,
      );
    },
    readConfirmation: (token: string) => readConfirmation(deps, { token }),
    async confirm(request: Request, token: string) {
      guard(request);
      return confirmSubscription(deps, { token });
    },
    readManage: (token: string) => readSubscription(deps, { token }),
    async updateComponents(request: Request, token: string, form: FormData) {
      guard(request);
      return updateSubscriptionComponents(deps, {
        token,
        componentIds: form.get('everything') ? [] : all(form, 'componentIds'),
      });
    },
    /**
     * A domain error as the page shows it (status, message, field messages); null for
     * anything unexpected, which the page rethrows to the 500 page.
     */
    describeError(err: unknown): {
      status: number;
      message: string;
      fields: Record<string, string>;
      retryAfter: number | null;
    } | null {
      if (!(err instanceof DomainError)) return null;
      return {
        status: statusOf(err),
        message: err.message,
        fields: err instanceof ValidationError ? err.fields : {},
        retryAfter: err instanceof RateLimitedError ? err.retryAfterSeconds : null,
      };
    },
    async unsubscribe(request: Request, token: string) {
      guard(request);
      return unsubscribeByToken(deps, { token });
    },
  };
}

export type SubscriptionPages = ReturnType<typeof createSubscriptionPages>;
