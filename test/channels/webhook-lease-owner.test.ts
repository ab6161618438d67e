import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import {
  claimWebhookHeads,
  extendWebhookLeases,
  recordWebhookOutcomes,
} from '../../server/domain/webhooks/webhook-store.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';

// Two webhook lanes on one database: the first could not write for longer than its lease
// (another process held the write lock), the second took the queue's head over. The first
// one's late writes must not undo that: its refusal would put the head back to wait (and count a
// failure towards pausing the webhook) while the second is posting it.
describe("a webhook lane's late writes after its lease ran out", () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it('change nothing of a delivery another lane has taken over; that lane records it', async () => {
    const { webhook: hook } = await createWebhook(
      t.deps,
      { url: 'http://127.0.0.1:9/hook', allowPrivate: true, events: ['incident.created'] },
      testActor,
    );
    await makeIncident(t.deps, { priority: 0, title: 'Checkout down' });
    const first = { ms: 15_000, owner: 'first' };
    const [head] = await claimWebhookHeads(t.deps.db, t.clock.now(), 10, first);
    expect(head).toBeDefined();
    t.clock.advance(16_000);
    const [taken] = await claimWebhookHeads(t.deps.db, t.clock.now(), 10, {
      ms: 15_000,
      owner: 'second',
    });
    expect(taken?.id).toBe(head!.id);
    const now = t.clock.now();
    const retryAt = (at: Date) => new Date(at.getTime() + 60_000);
    await extendWebhookLeases(t.deps.db, [head!.id], new Date(now.getTime() + 99_000), 'first');
    for (const result of [
      { ok: false, permanent: false, status: 500, error: 'HTTP 500' },
      { released: true },
    ] as const)
      await recordWebhookOutcomes(
        t.deps.db,
        [{ id: head!.id, webhookId: hook.id, attempts: 1, result, postedTo: hook.url }],
        now,
        { owner: 'first', retryAt },
      );
    const row = async () =>
      (
        await t.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, head!.id))
      )[0]!;
    const held = await row();
    expect(held).toMatchObject({ state: 'sending', attempts: 2, lastError: null });
    expect(held.leaseUntil!.getTime()).toBe(now.getTime() + 15_000);
    const [w] = await t.deps.db.select().from(webhooks).where(eq(webhooks.id, hook.id));
    expect(w!.consecutiveFailures).toBe(0);
    await recordWebhookOutcomes(
      t.deps.db,
      [{ id: head!.id, webhookId: hook.id, attempts: 2, result: { ok: true, status: 200 } }],
      now,
      { owner: 'second', retryAt },
    );
    expect(await row()).toMatchObject({ state: 'sent', lastStatus: 200 });
  });
});
