import { loadConfig, readEnv } from '../config.ts';
import { createDeps, type Deps } from '../deps.ts';
import { createLogger } from '../logger.ts';
import { createOutboxWorker } from './email-channel.ts';
import type { StopReport } from './lane.ts';
import { createWebhookWorker } from './webhook-channel.ts';

/** What the delivery process tells the server process that started it (over IPC). */
export type DeliveryProcessMessage =
  { type: 'started' } | { type: 'stopped'; mail: StopReport; hooks: StopReport };

/**
 * What the server process tells the delivery process: stop, or `due`: it has just committed a
 * write that may have queued something (the lanes look now instead of at their next poll).
 */
export type DeliveryProcessCommand = { type: 'stop' } | { type: 'due' };

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
  const config = loadConfig(readEnv());
  const log = createLogger(config.logLevel);
  // Listening before the lanes exist: a stop that arrives while this process is still starting
  // (the server stopped during a restart) is kept, not lost, and runs once they do.
  let lanes: { deps: Deps; outbox: Worker; webhooks: Worker } | null = null;
  let why: string | null = null;
  const stop = (reason: string) => {
    if (why !== null) return;
    why = reason;
    if (lanes) void stopLanes(lanes, reason);
  };
  process.on('message', (m: DeliveryProcessCommand) => {
    if (m.type === 'stop') stop('');
    else if (m.type === 'due' && lanes && why === null) {
      lanes.outbox.wake();
      lanes.webhooks.wake();
    }
  });
  process.on('disconnect', () => stop('the server process is gone (its IPC channel closed)'));
  // Only a second signal exits at once: the server's stop message often arrives beside the
  // first one (a service manager signals the whole group) and is not an operator's second try.
  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) {
      log.error(
        `Delivery process: ${signal} again: exiting at once; messages in flight were not recorded and may go twice.`,
      );
      process.exit(1);
    }
    signalled = true;
    // The server's stop message and this signal race when the whole group is signalled: either
    // way the stop is graceful, and the log says the signal was heard.
    if (why !== null) log.info(`Delivery process: ${signal}; already stopping gracefully.`);
    else stop(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  const deps = await createDeps(config, { log });
  const idle = { idleMs: config.deliveryPollMs };
  const made = {
    deps,
    outbox: createOutboxWorker(deps, idle),
    webhooks: createWebhookWorker(deps, idle),
  };
  lanes = made;
  if (why !== null) return stopLanes(made, why, false);
  made.outbox.start();
  made.webhooks.start();
  send({ type: 'started' } satisfies DeliveryProcessMessage);
}

const nothing: StopReport = { handedBack: 0, finished: 0, unrecorded: 0 };

/** What this process needs of a channel's worker. */
type Worker = { start(): void; wake(): void; stop(): Promise<StopReport> };

/** The graceful stop: both lanes, then the answer to the server (if it still listens), then exit. */
async function stopLanes(
  { deps, outbox, webhooks }: { deps: Deps; outbox: Worker; webhooks: Worker },
  why: string,
  started = true,
): Promise<void> {
  if (why) deps.log.info(`Delivery process: ${why}; stopping gracefully.`);
  try {
    // Lanes never started (a stop during the start) have nothing to stop.
    const [mail, hooks] = started
      ? await Promise.all([outbox.stop(), webhooks.stop()])
      : [nothing, nothing];
    await deps.close();
    const code = mail.unrecorded + hooks.unrecorded > 0 ? 1 : 0;
    const exit = () => process.exit(code);
    if (!process.connected || !process.send) {
      deps.log.info(
        `Delivery process stopped: ${mail.finished} emails and ${hooks.finished} webhook posts in flight finished and recorded; ${mail.handedBack} claimed emails handed back.`,
      );
      return exit();
    }
    process.send(
      { type: 'stopped', mail, hooks } satisfies DeliveryProcessMessage,
      undefined,
      {},
      exit,
    );
  } catch (err) {
    deps.log.error('Delivery process: stopping failed', { error: String(err) });
    process.exit(1);
  }
}
