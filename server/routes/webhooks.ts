import type { Context } from 'hono';
import type { Deps } from '../deps.ts';
import {
  createWebhook,
  createWebhookInput,
  deleteWebhook,
  listWebhooks,
  queueTestDelivery,
  readWebhook,
} from '../domain/webhooks/manage-webhooks.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import type { AuthEnv } from '../http/auth.ts';
import type { ApiOperation } from '../http/openapi.ts';
import { createWebhookWorker } from '../jobs/webhook-worker.ts';

type Ctx = Context<AuthEnv>;
type Op = (meta: ApiOperation, handler: (c: Ctx) => Promise<Response> | Response) => void;

/**
 * Webhook and chat channels in the admin API's operation table: add one (the signing secret is
 * in this answer only), list, read with recent deliveries, delete, and send a test now.
 */
export function webhookApiOperations(
  deps: Deps,
  op: Op,
  body: (c: Ctx) => Promise<Record<string, unknown>>,
) {
  const actor = (c: Ctx) => c.get('actor');
  const id = (c: Ctx) => c.req.param('id') ?? '';
  const v = <T>(x: T) => x as never;
  // Only `sendNow` is used here; the lane itself runs in main.ts.
  const sender = createWebhookWorker(deps);

  op(
    {
      method: 'post',
      path: '/webhooks',
      summary: 'Add a webhook, Slack, Teams or Discord channel; answers the signing secret once',
      role: 'admin',
      body: createWebhookInput,
      success: 201,
    },
    async (c) => c.json(await createWebhook(deps, v(await body(c)), actor(c)), 201),
  );
  op(
    {
      method: 'get',
      path: '/webhooks',
      summary: 'List webhook and chat channels',
      role: 'admin',
      success: 200,
    },
    async (c) => c.json({ webhooks: await listWebhooks(deps) }),
  );
  op(
    {
      method: 'get',
      path: '/webhooks/:id',
      summary: 'One webhook with its 50 most recent deliveries and their response codes',
      role: 'admin',
      success: 200,
    },
    async (c) => c.json(await readWebhook(deps, id(c))),
  );
  op(
    {
      method: 'delete',
      path: '/webhooks/:id',
      summary: 'Remove a webhook and its queued deliveries',
      role: 'admin',
      success: 204,
    },
    async (c) => {
      await deleteWebhook(deps, id(c), actor(c));
      return c.body(null, 204);
    },
  );
  op(
    {
      method: 'post',
      path: '/webhooks/:id/test',
      summary:
        'Send a test delivery now (resumes a paused webhook); 422 when it does not get through',
      role: 'admin',
      success: 200,
    },
    async (c) => {
      const deliveryId = await queueTestDelivery(deps, id(c), actor(c));
      const result = await sender.sendNow(deliveryId);
      if (!result || !('ok' in result) || !result.ok)
        throw new ValidationError(
          `The test did not get through: ${result && 'error' in result ? result.error : 'nothing was sent'}.`,
          { url: result && 'error' in result ? result.error : 'nothing was sent' },
        );
      return c.json({ delivery: { id: deliveryId, status: result.status } });
    },
  );
}
