import type { ActiveSession } from '../../domain/auth/sessions.ts';
import {
  createWebhook,
  deleteWebhook,
  dropWebhookQueue,
  listWebhooks,
  queueTestDelivery,
  readWebhook,
  resumeWebhook,
} from '../../domain/webhooks/manage-webhooks.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import type { Deps } from '../../deps.ts';
import { createWebhookWorker } from '../../jobs/webhook-worker.ts';
import {
  checkbox,
  type FormOutcome,
  type FormValues,
  formValues,
  list,
  optional,
  runForm,
  str,
} from './form.ts';

type Created = {
  ok: true;
  redirect: null;
  secret: string;
  id: string;
  url: string;
  values: FormValues;
};

/** The webhook admin pages: add (secret shown once on the answer page), test, resume, drop a paused queue, remove. */
export function createWebhookAdmin(deps: Deps, session: ActiveSession) {
  const actor = session.actor;
  const sender = createWebhookWorker(deps);
  return {
    list: () => listWebhooks(deps),
    read: (id: string) => readWebhook(deps, id),
    async components() {
      return (await deps.reader.components()).components;
    },
    async create(form: FormData): Promise<FormOutcome | Created> {
      const values = formValues(form);
      let created: { secret: string; id: string; url: string } | null = null;
      const r = await runForm(values, async () => {
        const priorities = list(values, 'priorities').map((p) => {
          if (!/^[0-3]$/.test(p))
            throw new ValidationError('Priorities are 0 to 3.', {
              priorities: 'must be 0, 1, 2 or 3',
            });
          return Number(p) as 0 | 1 | 2 | 3;
        });
        const events = list(values, 'events');
        const { webhook, secret } = await createWebhook(
          deps,
          {
            url: str(values, 'url'),
            kind: optional(values, 'kind') as 'webhook' | undefined,
            componentIds: list(values, 'componentIds'),
            events: events.length ? (events as ['incident.created']) : undefined,
            priorities: priorities.length ? priorities : undefined,
            internal: checkbox(values, 'internal'),
            isDrill: checkbox(values, 'isDrill'),
            allowPrivate: checkbox(values, 'allowPrivate'),
          },
          actor,
        );
        created = { secret, id: webhook.id, url: webhook.url };
        return '';
      });
      if (!r.ok || !created) return r;
      const c = created as { secret: string; id: string; url: string };
      return { ok: true, redirect: null, ...c, values };
    },
    /** "Send a test" or "Remove" on one webhook's page. */
    async action(id: string, form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      const action = str(values, '_action');
      return runForm(values, async () => {
        if (action === 'delete') {
          await deleteWebhook(deps, id, actor);
          return '/admin/webhooks?done=removed';
        }
        if (action === 'resume') {
          await resumeWebhook(deps, id, actor);
          return `/admin/webhooks/${id}?done=resumed`;
        }
        if (action === 'drop-queue') {
          const { dropped } = await dropWebhookQueue(deps, id, actor);
          return `/admin/webhooks/${id}?done=dropped-${dropped}`;
        }
        if (action !== 'test')
          throw new ValidationError('Unknown form action.', { _action: 'unknown action' });
        const deliveryId = await queueTestDelivery(deps, id, actor);
        const result = await sender.sendNow(deliveryId);
        if (!result || !('ok' in result) || !result.ok) {
          const why = result && 'error' in result ? result.error : 'nothing was sent';
          throw new ValidationError(`The test did not get through: ${why}.`);
        }
        return `/admin/webhooks/${id}?done=test-${result.status}`;
      });
    },
  };
}
