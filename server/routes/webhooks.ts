import type { Deps } from '../deps.ts';
import {
  createWebhook,
  createWebhookInput,
  deleteWebhook,
  dropWebhookQueue,
  listWebhooks,
  queueTestDelivery,
  readWebhook,
  resumeWebhook,
} from '../domain/webhooks/manage-webhooks.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { createWebhookWorker } from '../jobs/webhook-worker.ts';
import { actorOf, type Operation, pathId, op } from './operation.ts';

/**
 * Webhook and chat channels in the admin API's operation table: add one (the signing secret is
 * in this answer only), list, read with recent deliveries, delete, and send a test now.
 */
export function webhookOperations(deps: Deps): Operation[] {
  // Only `sendNow` is used here; the lane itself runs in main.ts.
  const sender = createWebhookWorker(deps);
  return [
    op({
      meta: {
        method: 'post',
        path: '/webhooks',
        summary: 'Add a webhook, Slack, Teams or Discord channel; answers the signing secret once',
        role: 'admin',
        body: createWebhookInput,
        success: 201,
      },
      handler: async (c, input) => c.json(await createWebhook(deps, input, actorOf(c)), 201),
    }),
    {
      meta: {
        method: 'get',
        path: '/webhooks',
        summary: 'List webhook and chat channels',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => c.json({ webhooks: await listWebhooks(deps) }),
    },
    {
      meta: {
        method: 'get',
        path: '/webhooks/:id',
        summary: 'One webhook with its 50 most recent deliveries and their response codes',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => c.json(await readWebhook(deps, pathId(c))),
    },
    {
      meta: {
        method: 'delete',
        path: '/webhooks/:id',
        summary: 'Remove a webhook and its queued deliveries',
        role: 'admin',
        success: 204,
      },
      handler: async (c) => {
        await deleteWebhook(deps, pathId(c), actorOf(c));
        return c.body(null, 204);
      },
    },
    {
      meta: {
        method: 'post',
        path: '/webhooks/:id/resume',
        summary:
          'Resume a paused webhook: its queue goes out now, in publish order (409 unless paused)',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => c.json(await resumeWebhook(deps, pathId(c), actorOf(c))),
    },
    {
      meta: {
        method: 'post',
        path: '/webhooks/:id/drop-queue',
        summary: "Drop a paused webhook's queued deliveries for good, audited (409 unless paused)",
        role: 'admin',
        success: 200,
      },
      handler: async (c) => c.json(await dropWebhookQueue(deps, pathId(c), actorOf(c))),
    },
    {
      meta: {
        method: 'post',
        path: '/webhooks/:id/test',
        summary:
          'Send a test delivery now (resumes a paused webhook); 422 when it does not get through',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => {
        const deliveryId = await queueTestDelivery(deps, pathId(c), actorOf(c));
        const result = await sender.sendNow(deliveryId);
        if (!result || !('ok' in result) || !result.ok)
          throw new ValidationError(
            `The test did not get through: ${result && 'error' in result ? result.error : 'nothing was sent'}.`,
            { url: result && 'error' in result ? result.error : 'nothing was sent' },
          );
        return c.json({ delivery: { id: deliveryId, status: result.status } });
      },
    },
  ];
}
