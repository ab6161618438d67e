import { loadConfig, readEnv } from '../config.ts';
import { createDeps } from '../deps.ts';
import { createOutboxWorker } from './email-channel.ts';
import type { StopReport } from './lane.ts';
import { createWebhookWorker } from './webhook-channel.ts';

/** What the delivery process tells the server process that started it (over IPC). */
export type DeliveryProcessMessage =
  { type: 'started' } | { type: 'stopped'; mail: StopReport; hooks: StopReport };

/** What the server process tells the delivery process. */
export type DeliveryProcessCommand = { type: 'stop' };

/**
 * The sending side of Herald in its own process: the email outbox and the webhook lane with their
 * own database connection, event loop and heap, so a refresh storm on the pages (which wins a
 * shared event loop) cannot starve a broadcast, the operating system shares the cores between
 * them, and the server's process does not carry the lanes' memory (nor this one Astro's).
 *
 * It stops gracefully (see the lane's stop()) on whichever comes first: a `stop` message from
 * the server, its own SIGTERM or SIGINT (a service manager or a terminal signals the whole
 * process group), or the IPC channel closing because the server died (kill -9): it then hands
 * back, records and exits instead of sending on as an orphan nobody supervises. A second signal
 * exits at once. It answers `stopped` with what it did while the server still listens, and exits
 * 1 only if it could not record.
 */
export async function runDeliveryProcess(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('the delivery process is started by server/start.ts, over IPC');
  const deps = await createDeps(loadConfig(readEnv()));
  const outbox = createOutboxWorker(deps);
  const webhooks = createWebhookWorker(deps);
  outbox.start();
  webhooks.start();

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    if (why) deps.log.info(`Delivery process: ${why}; stopping gracefully.`);
    void Promise.all([outbox.stop(), webhooks.stop()])
      .then(async ([mail, hooks]) => {
        await deps.close();
        const code = mail.unrecorded + hooks.unrecorded > 0 ? 1 : 0;
        const exit = () => process.exit(code);
        if (!process.connected) {
          deps.log.info(
            `Delivery process stopped: ${mail.finished} emails and ${hooks.finished} webhook posts in flight finished and recorded; ${mail.handedBack} claimed emails handed back.`,
          );
          return exit();
        }
        send(
          { type: 'stopped', mail, hooks } satisfies DeliveryProcessMessage,
          undefined,
          {},
          exit,
        );
      })
      .catch((err: unknown) => {
        deps.log.error('Delivery process: stopping failed', { error: String(err) });
        process.exit(1);
      });
  };
  process.on('message', (m: DeliveryProcessCommand) => {
    if (m.type === 'stop') stop('');
  });
  process.on('disconnect', () => {
    if (!stopping) stop('the server process is gone (its IPC channel closed)');
  });
  // Only a second signal exits at once: the server's stop message often arrives beside the
  // first one (a service manager signals the whole group) and is not an operator's second try.
  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) {
      deps.log.error(
        `Delivery process: ${signal} again: exiting at once; messages in flight were not recorded and may go twice.`,
      );
      process.exit(1);
    }
    signalled = true;
    stop(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  send({ type: 'started' } satisfies DeliveryProcessMessage);
}
