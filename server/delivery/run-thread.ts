import { parentPort } from 'node:worker_threads';
import { loadConfig, readEnv } from '../config.ts';
import { createDeps } from '../deps.ts';
import { createOutboxWorker } from './email-channel.ts';
import type { StopReport } from './lane.ts';
import { createWebhookWorker } from './webhook-channel.ts';

/** What the delivery thread tells the process that started it. */
export type DeliveryThreadMessage =
  { type: 'started' } | { type: 'stopped'; mail: StopReport; hooks: StopReport };

/**
 * The sending side of Herald in its own thread: the email outbox and the webhook lane with their
 * own database connection and event loop, so a refresh storm on the pages (which wins a shared
 * event loop) cannot starve a broadcast, and the operating system shares the cores between them.
 * It stops on a `stop` message, gracefully (see the outbox's stop()), and answers `stopped`.
 */
export async function runDeliveryThread(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('the delivery thread runs as a worker thread of server/start.ts');
  const deps = await createDeps(loadConfig(readEnv()));
  const outbox = createOutboxWorker(deps);
  const webhooks = createWebhookWorker(deps);
  outbox.start();
  webhooks.start();
  port.postMessage({ type: 'started' } satisfies DeliveryThreadMessage);
  port.once('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    void Promise.all([outbox.stop(), webhooks.stop()]).then(async ([mail, hooks]) => {
      await deps.close();
      port.postMessage({ type: 'stopped', mail, hooks } satisfies DeliveryThreadMessage);
      port.close();
    });
  });
}
