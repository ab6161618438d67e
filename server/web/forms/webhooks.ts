import type { ActiveSession } from '../../domain/auth/sessions.ts';
import {
  listWebhooks,
  readHeldWebhooks,
  readWebhook,
} from '../../domain/webhooks/manage-webhooks.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import type { Deps } from '../../deps.ts';
import { webhookOps } from '../../routes/webhooks.ts';
import {
  checkbox,
  formAction,
  type FormOutcome,
  type FormValues,
  formValues,
  list,
  optional,
  runForm,
  runFormActions,
  runRow,
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

/** One webhook page's forms by `_action`. */
const webhookForms = (id: string) => ({
  delete: formAction(
    webhookOps.delete,
    () => ({ id }),
    () => '/admin/webhooks?done=removed',
  ),
  'change-url': formAction(
    webhookOps.changeUrl,
    (values) => ({
      webhookId: id,
      url: str(values, 'url'),
      // The form shows the box ticked as the webhook is: unticked means not allowed.
      allowPrivate: checkbox(values, 'allowPrivate'),
    }),
    ({ queued }) => `/admin/webhooks/${id}?done=moved-${queued}`,
  ),
  resume: formAction(
    webhookOps.resume,
    () => ({ id }),
    () => `/admin/webhooks/${id}?done=resumed`,
  ),
  'drop-queue': formAction(
    webhookOps.dropQueue,
    () => ({ id }),
    ({ dropped }) => `/admin/webhooks/${id}?done=dropped-${dropped}`,
  ),
  test: formAction(
    webhookOps.test,
    () => ({ id }),
    ({ delivery }) => `/admin/webhooks/${id}?done=test-${delivery.status}`,
    { messageOnly: true },
  ),
});

/** The webhook admin pages: add (secret shown once on the answer page), test, resume, drop a paused queue, remove. */
export function createWebhookAdmin(deps: Deps, session: ActiveSession) {
  const actor = session.actor;
  return {
    list: () => listWebhooks(deps),
    /** For the dashboard: channels not getting updates (any staff; no URL in it). */
    held: () => readHeldWebhooks(deps),
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
        const { webhook, secret } = await runRow(deps, actor, webhookOps.create, values, () => ({
          url: str(values, 'url'),
          kind: optional(values, 'kind') as 'webhook' | undefined,
          componentIds: list(values, 'componentIds'),
          events: events.length ? (events as ['incident.created']) : undefined,
          priorities: priorities.length ? priorities : undefined,
          internal: checkbox(values, 'internal'),
          isDrill: checkbox(values, 'isDrill'),
          allowPrivate: checkbox(values, 'allowPrivate'),
        }));
        created = { secret, id: webhook.id, url: webhook.url };
        return '';
      });
      if (!r.ok || !created) return r;
      const c = created as { secret: string; id: string; url: string };
      return { ok: true, redirect: null, ...c, values };
    },
    /** "Send a test", "Change the URL", "Resume", "Drop the queue" or "Remove" on one webhook's page. */
    action: (id: string, form: FormData): Promise<FormOutcome> =>
      runFormActions(deps, actor, webhookForms(id), formValues(form)),
  };
}
