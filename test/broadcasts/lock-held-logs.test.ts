import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { edgePurges, webhookDeliveries } from '../../db/schema/index.ts';
import { readBroadcast, readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createEdgePurgeLoop } from '../../server/jobs/edge-purger.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { useRealClockMailContext } from '../helpers/outbox-fault-setup.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { startReceiver } from '../channels/receiver.ts';
import { captureLog } from '../helpers/capture-log.ts';

// Another Herald process holding the write lock (a long import) is a wait for every loop: no
// error line, at most one line when the wait starts and one when it ends.
describe('loops while another process holds the write lock', { timeout: 60_000 }, () => {
  const ctx = useRealClockMailContext({ DATABASE_WRITE_WAIT_SECONDS: '0.2' });

  it('log no error, and each wait once when it starts and once when it ends', async () => {
    const { t } = ctx;
    const rx = await startReceiver();
    await createWebhook(t.deps, { url: rx.url, allowPrivate: true }, testActor);
    for (let i = 0; i < 20; i++) await makeConfirmedSubscriber(t.deps, `lock${i}@example.net`);
    // Work for every loop, queued before the lock: a broadcast, a webhook post, a purge owed.
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Lock' });
    const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
    await t.deps.db.insert(edgePurges).values({
      id: 'purge-owed',
      keys: 'page',
      nextAttemptAt: new Date(),
      createdAt: new Date(),
    });
    const log = captureLog();
    const deps = { ...t.deps, log };
    const loops = [
      createOutboxWorker(deps, { idleMs: 20 }),
      createWebhookWorker(deps, { idleMs: 20 }),
      createEdgePurgeLoop(t.deps.edge, log, { intervalMs: 20 }),
      createScheduler(deps, { intervalMs: 20 }),
    ];
    const lock = await holdWriteLock(t.dbUrl, 60_000);
    try {
      for (const l of loops) l.start();
      const waiting = (prefix: string) =>
        log.infos.filter((l) => l.startsWith(prefix) && /write lock/.test(l)).length;
      await expect
        .poll(() => [waiting('outbox:'), waiting('webhooks:'), waiting('edge purges:')], {
          timeout: 20_000,
        })
        .toEqual([1, 1, 1]);
    } finally {
      lock.kill();
      await lock.released;
    }
    await expect
      .poll(async () => (await readBroadcast(t.deps, b!.id)).broadcast.done, { timeout: 20_000 })
      .toBe(true);
    await expect
      .poll(
        async () =>
          (await t.deps.db.select().from(webhookDeliveries)).every((d) => d.state === 'sent') &&
          (await t.deps.db.select().from(edgePurges)).length === 0,
        { timeout: 20_000 },
      )
      .toBe(true);
    for (const l of loops) await l.stop();
    await rx.close();
    expect(log.errors, log.infos.join('\n')).toEqual([]);
    // One line when each wait started and one when it ended; none per attempt. A loop with
    // several named tasks (the scheduler's) has a condition, so a pair of lines, per task that
    // met the lock: which of them do depends on when each pass ran.
    for (const prefix of ['outbox:', 'webhooks:', 'edge purges:', 'scheduler:']) {
      const lines = log.infos.filter((l) => l.startsWith(prefix));
      expect(lines, lines.join('\n')).toEqual([...new Set(lines)]);
      const started = lines.filter((l) => /write lock/.test(l));
      const ended = lines.filter((l) => / ok again$/.test(l));
      expect(started.length + ended.length, lines.join('\n')).toBe(lines.length);
      expect(ended.length).toBeLessThanOrEqual(started.length);
    }
  });
});
