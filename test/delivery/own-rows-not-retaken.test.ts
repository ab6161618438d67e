import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries, webhookDeliveries } from '../../db/schema/index.ts';
import { claimEmail, claimProbe } from '../../server/domain/broadcasts/outbox-store.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { claimWebhookHeads } from '../../server/domain/webhooks/webhook-store.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// A lane whose heartbeat could not be written for longer than its lease (another process held
// the write lock) still holds its rows in memory: it sends them or hands them back itself. Its own
// next claim must pass over them: taking them again counted an attempt that never happened, and a
// probe that took one ended the relay's outage without releasing the rows that met it. Another
// process still takes them over.
describe("a lane's claim after its own lease ran out", () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
    for (let i = 0; i < 3; i++) await makeConfirmedSubscriber(t.deps, `r${i}@example.org`);
  });
  afterAll(() => t.close());

  const lease = (owner: string) => ({ ms: 15_000, owner });

  it('passes over the emails it still holds, probe included; another lane takes them, one attempt more', async () => {
    await makeIncident(t.deps, { priority: 0, title: 'Checkout fails' });
    const first = await claimEmail(t.deps.db, t.clock.now(), 100, lease('first'));
    expect(first.deliveries).toHaveLength(3);
    t.clock.advance(16_000);

    const again = await claimEmail(t.deps.db, t.clock.now(), 100, lease('first'));
    expect(again.deliveries).toEqual([]);
    expect(await claimProbe(t.deps.db, t.clock.now(), lease('first'))).toBeNull();
    const rows = await t.deps.db
      .select({ attempts: deliveries.attempts, owner: deliveries.leaseOwner })
      .from(deliveries);
    expect(rows).toEqual(Array(3).fill({ attempts: 1, owner: 'first' }));

    const second = await claimEmail(t.deps.db, t.clock.now(), 100, lease('second'));
    expect(second.deliveries.map((d) => d.attempts)).toEqual([2, 2, 2]);
  });

  it('passes over the webhook head it still holds; another lane takes it over', async () => {
    const { webhook } = await createWebhook(
      t.deps,
      { url: 'http://127.0.0.1:9/hook', allowPrivate: true, events: ['incident.created'] },
      testActor,
    );
    await makeIncident(t.deps, { priority: 1, title: 'Search slow' });
    const [head] = await claimWebhookHeads(t.deps.db, t.clock.now(), 10, lease('first'));
    expect(head?.webhook_id).toBe(webhook.id);
    t.clock.advance(16_000);

    expect(await claimWebhookHeads(t.deps.db, t.clock.now(), 10, lease('first'))).toEqual([]);
    const [row] = await t.deps.db
      .select({ attempts: webhookDeliveries.attempts })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.id, head!.id));
    expect(row!.attempts).toBe(1);

    const [taken] = await claimWebhookHeads(t.deps.db, t.clock.now(), 10, lease('second'));
    expect(taken).toMatchObject({ id: head!.id, attempts: 2 });
  });
});
