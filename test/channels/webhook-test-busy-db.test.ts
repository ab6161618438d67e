import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../../db/schema/index.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createWebhook, queueTestDelivery } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { startReceiver } from '../channels/receiver.ts';

// POST /api/admin/webhooks/{id}/test queues a test delivery and sends it with a worker of its own
// (`createWebhookWorker(deps).sendNow(id)`, server/routes/webhooks.ts): no heartbeat runs there.
// Its claim may wait for the write lock up to DATABASE_WRITE_WAIT_SECONDS (10 s by default), so
// it may come back with less than half its lease left: the lane then extends the lease at once
// and posts the test, instead of holding it back for a heartbeat that never comes (the admin was
// told "nothing was sent" and the lane posted the test later anyway).
describe('"send a test" while another process holds the write lock for 8 s', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ clock: systemClock });
  });
  afterAll(() => t.close());

  it('still posts the test on the spot once the lock goes', { timeout: 60_000 }, async () => {
    const rx = await startReceiver();
    try {
      const { webhook } = await createWebhook(
        t.deps,
        { url: rx.url, allowPrivate: true },
        testActor,
      );
      const deliveryId = await queueTestDelivery(t.deps, webhook.id, testActor);
      // A VACUUM or a sqlite3 shell holds the lock for 8 s: within the 10 s write wait.
      const lock = await holdWriteLock(t.dbUrl, 8_000);
      const result = await createWebhookWorker(t.deps).sendNow(deliveryId);
      await lock.released;
      const [row] = await t.deps.db
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.id, deliveryId));
      expect({ result, posted: rx.received.length, state: row!.state }).toMatchObject({
        result: { ok: true, status: 200 },
        posted: 1,
        state: 'sent',
      });
    } finally {
      await rx.close();
    }
  });
});
