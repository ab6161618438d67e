import { Worker } from 'node:worker_threads';
import type { StopReport } from './lane.ts';
import type { Logger } from '../logger.ts';
import type { DeliveryThreadMessage } from './run-thread.ts';

export interface DeliveryThread {
  /** Resolves once the thread's loops run. */
  started: Promise<void>;
  /** A graceful stop of both lanes; resolves with what they did. */
  stop(): Promise<{ mail: StopReport; hooks: StopReport }>;
}

/**
 * Starts the delivery thread. A thread that dies is a fault of the whole process (nothing would
 * send any more): `onDeath` is told, and the process should exit so its supervisor restarts it.
 */
export function startDeliveryThread(log: Logger, onDeath: (code: number) => void): DeliveryThread {
  const worker = new Worker(new URL('./thread.ts', import.meta.url));
  let stopping = false;
  const started = new Promise<void>((resolve, reject) => {
    worker.once('message', (m: DeliveryThreadMessage) => {
      if (m.type === 'started') resolve();
    });
    worker.once('error', reject);
  });
  worker.on('error', (err) => log.error('delivery thread failed', { error: String(err) }));
  worker.on('exit', (code) => {
    if (!stopping) onDeath(code);
  });
  return {
    started,
    stop() {
      stopping = true;
      return new Promise((resolve, reject) => {
        worker.on('message', (m: DeliveryThreadMessage) => {
          if (m.type === 'stopped') resolve({ mail: m.mail, hooks: m.hooks });
        });
        worker.once('exit', (code) =>
          reject(new Error(`the delivery thread exited (${code}) before it had stopped`)),
        );
        worker.postMessage({ type: 'stop' });
      });
    },
  };
}
