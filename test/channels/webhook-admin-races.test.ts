import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { auditLog, webhookDeliveries } from '../../db/schema/index.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import {
  changeWebhookUrl,
  createWebhook,
  dropWebhookQueue,
  readWebhook,
} from '../../server/domain/webhooks/manage-webhooks.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { startReceiver } from './receiver.ts';

// An admin acts on a webhook while the lane has its head on the wire: the admin's word holds
// over whatever that post then comes back with.
describe('admin actions while a webhook’s head is being posted', () => {
  const open: { close(): Promise<void> | void }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });
  async function setUp() {
    const t: TestContext = await createTestContext();
    open.push(t);
    const rx = await startReceiver();
    open.push(rx);
    const { webhook } = await createWebhook(t.deps, { url: rx.url, allowPrivate: true }, testActor);
    // The post times out after 0.5 s: what a receiver that never answers comes back with.
    const lane = () => createWebhookWorker(t.deps, { timeoutMs: 500, random: () => 0.5 });
    return { t, rx, webhookId: webhook.id, lane };
  }
  const head = async (t: TestContext, webhookId: string) =>
    (
      await t.deps.db
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.webhookId, webhookId))
    )[0]!;

  it('a new URL given while a post to the old one hangs: the queue goes to the new URL at once', async () => {
    const { t, rx: old, webhookId, lane } = await setUp();
    const moved = await startReceiver();
    open.push(moved);
    await makeIncident(t.deps, { priority: 0, title: 'Moved endpoint' });
    // The old endpoint has moved: 404 a dozen times (the queue waits, backing off to an hour).
    for (let i = 0; i < 12; i++) {
      old.next({ status: 404 });
      expect(await lane().runOnce()).toBe(1);
      t.clock.advance(2 * 3600_000);
    }
    // The 13th post to the old URL is on the wire when the admin gives the new one.
    old.next({ hang: true });
    const inFlight = lane().runOnce();
    await expect.poll(() => old.received.length).toBe(13);
    const changed = await changeWebhookUrl(
      t.deps,
      { webhookId, url: moved.url, allowPrivate: true },
      testActor,
    );
    expect(changed.queued).toBe(1);
    await inFlight;
    // The old URL's time-out said nothing about the new one: the delivery was due again at once,
    // that attempt handed back, and the same pass took it to the new URL.
    expect(moved.received).toHaveLength(1);
    expect(await head(t, webhookId)).toMatchObject({ state: 'sent', attempts: 13 });
    expect((await readWebhook(t.deps, webhookId)).webhook).toMatchObject({
      state: 'active',
      consecutiveFailures: 0,
    });
    expect(old.received).toHaveLength(13);
  });

  it('dropping a paused queue while its head is being probed drops all of it, the head too', async () => {
    const { t, rx, webhookId, lane } = await setUp();
    await makeIncident(t.deps, { priority: 0, title: 'A' });
    for (let i = 0; i < 20; i++) {
      rx.next({ status: 503 });
      expect(await lane().runOnce()).toBe(1);
      t.clock.advance(2 * 3600_000);
    }
    await makeIncident(t.deps, { priority: 0, title: 'B' });
    expect((await readWebhook(t.deps, webhookId)).webhook.state).toBe('paused');
    rx.next({ hang: true });
    const probing = lane().runOnce();
    await expect.poll(() => rx.received.length).toBe(21);
    expect((await readWebhook(t.deps, webhookId)).queued).toBe(2);
    const { dropped } = await dropWebhookQueue(t.deps, webhookId, testActor);
    expect(dropped).toBe(2);
    await probing;
    // The probe's time-out changed nothing: nothing waits, nothing is sent later.
    expect((await readWebhook(t.deps, webhookId)).queued).toBe(0);
    const states = (
      await t.deps.db
        .select({ state: webhookDeliveries.state })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.webhookId, webhookId))
    ).map((d) => d.state);
    expect(states).toEqual(['skipped', 'skipped']);
    const [audit] = await t.deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'webhook.drop_queue'));
    expect(JSON.stringify(audit!.before)).toContain('"queued":2');
  });
});
