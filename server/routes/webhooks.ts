import {
  changeWebhookUrl,
  createWebhook,
  deleteWebhook,
  dropWebhookQueue,
  listWebhooks,
  queueTestDelivery,
  readWebhook,
  resumeWebhook,
} from '../domain/webhooks/manage-webhooks.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { createWebhookWorker } from '../delivery/webhook-channel.ts';
import { operation } from './operation.ts';

/**
 * Webhook and chat channels: add one (the signing secret is in this answer only), list, read
 * with recent deliveries, delete, and send a test now.
 */
export const webhookOps = {
  create: operation({
    method: 'post',
    path: '/webhooks',
    summary: 'Add a webhook, Slack, Teams or Discord channel; answers the signing secret once',
    role: 'admin',
    verb: createWebhook,
    success: 201,
    secretAnswer: true,
  }),
  list: operation({
    method: 'get',
    path: '/webhooks',
    summary: 'List webhook and chat channels',
    role: 'admin',
    verb: async (deps) => ({ webhooks: await listWebhooks(deps) }),
    success: 200,
  }),
  read: operation({
    method: 'get',
    path: '/webhooks/:id',
    summary: 'One webhook with its 50 most recent deliveries and their response codes',
    role: 'admin',
    verb: (deps, { id }) => readWebhook(deps, id),
    success: 200,
  }),
  changeUrl: operation({
    method: 'patch',
    path: '/webhooks/:id',
    summary:
      'Point a webhook at another URL, keeping its secret and its queue; the queue goes there now, in order',
    role: 'admin',
    pathField: 'webhookId',
    verb: changeWebhookUrl,
    success: 200,
  }),
  delete: operation({
    method: 'delete',
    path: '/webhooks/:id',
    summary: 'Remove a webhook and its queued deliveries',
    role: 'admin',
    verb: (deps, { id }, actor) => deleteWebhook(deps, id, actor),
    success: 204,
  }),
  resume: operation({
    method: 'post',
    path: '/webhooks/:id/resume',
    summary:
      'Resume a paused webhook: its queue goes out now, in publish order (409 unless paused)',
    role: 'admin',
    verb: (deps, { id }, actor) => resumeWebhook(deps, id, actor),
    success: 200,
  }),
  dropQueue: operation({
    method: 'post',
    path: '/webhooks/:id/drop-queue',
    summary: "Drop a paused webhook's queued deliveries for good, audited (409 unless paused)",
    role: 'admin',
    verb: (deps, { id }, actor) => dropWebhookQueue(deps, id, actor),
    success: 200,
  }),
  test: operation({
    method: 'post',
    path: '/webhooks/:id/test',
    summary:
      'Send a test delivery now (resumes a paused webhook); 422 when it does not get through',
    role: 'admin',
    verb: async (deps, { id }, actor) => {
      const deliveryId = await queueTestDelivery(deps, id, actor);
      // Only `sendNow` is used here; the lane itself runs in main.ts.
      const result = await createWebhookWorker(deps).sendNow(deliveryId);
      if (!result || !('ok' in result) || !result.ok)
        throw new ValidationError(
          `The test did not get through: ${result && 'error' in result ? result.error : 'nothing was sent'}.`,
          { url: result && 'error' in result ? result.error : 'nothing was sent' },
        );
      return { delivery: { id: deliveryId, status: result.status } };
    },
    success: 200,
  }),
};

export const webhookOperations = Object.values(webhookOps);
