import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { startWebhookProcess } from '../helpers/lock-holder.ts';
import { type Receiver, type Received, startReceiver, verifySignature } from './receiver.ts';

// A webhook lane in its own process posts to real receivers while this process publishes: each
// webhook is one ordered queue, whatever its receiver does.
describe('webhook order per receiver, through outages and a crash', { timeout: 90_000 }, () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ clock: systemClock });
  });
  afterAll(() => t.close());

  async function hook(rx: Receiver) {
    return createWebhook(
      t.deps,
      { url: rx.url, allowPrivate: true, events: ['incident.created', 'incident.updated'] },
      testActor,
    );
  }
  /** A P0 and five updates, published one after another; their update ids in publish order. */
  async function publishP0(title: string): Promise<string[]> {
    const { incident, updateId } = await makeIncident(t.deps, { priority: 0, title });
    const order = [updateId];
    for (let i = 1; i <= 5; i++)
      order.push(
        (
          await postIncidentUpdate(
            t.deps,
            { incidentId: incident.id, body: `Update ${i}` },
            testActor,
          )
        ).updateId,
      );
    return order;
  }
  const updateOf = (r: Received) =>
    (JSON.parse(r.body) as { incident: { incident_updates: { id: string }[] } }).incident
      .incident_updates[0]!.id;
  const delivered = (rx: Receiver) => rx.received.filter((r) => r.status === 200);
  async function states(webhookId: string) {
    return (
      await t.deps.db
        .select({ state: webhookDeliveries.state, lastError: webhookDeliveries.lastError })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.webhookId, webhookId))
    ).map((d) => d);
  }

  it('a receiver answering 500, then refusing, then slow, then well gets every event once, in order, signed; the others are not held back', async () => {
    const bad = await startReceiver();
    const good = await startReceiver();
    const badHook = await hook(bad);
    const goodHook = await hook(good);
    const lane = await startWebhookProcess(t.dbUrl);
    try {
      bad.next({ status: 500 }, { status: 500 }, { status: 500 });
      const order = await publishP0('Website is down');
      expect(order).toHaveLength(6);
      await expect.poll(() => bad.received.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      await bad.refuse();
      // The healthy receiver got the whole incident while the other one is down.
      await expect.poll(() => delivered(good).length, { timeout: 20_000 }).toBe(6);
      await expect
        .poll(
          async () =>
            (await states(badHook.webhook.id)).some((d) => /ECONNREFUSED/.test(d.lastError ?? '')),
          {
            timeout: 20_000,
          },
        )
        .toBe(true);
      bad.next({ status: 200, delayMs: 300 }, { status: 200, delayMs: 300 });
      await bad.accept();
      await expect
        .poll(async () => (await states(badHook.webhook.id)).every((d) => d.state === 'sent'), {
          timeout: 30_000,
        })
        .toBe(true);
      for (const [rx, secret] of [
        [bad, badHook.secret],
        [good, goodHook.secret],
      ] as const) {
        const ok = delivered(rx);
        expect(ok.map(updateOf)).toEqual(order);
        const ids = ok.map((r) => r.headers['x-herald-delivery']);
        expect(new Set(ids).size).toBe(6);
        for (const r of ok)
          expect(verifySignature(secret, String(r.headers['x-herald-signature']), r.body)).toBe(
            true,
          );
      }
      // Every failed attempt was the head of the queue: nothing behind it went early.
      expect(bad.received.filter((r) => r.status === 500).map(updateOf)).toEqual([
        order[0],
        order[0],
        order[0],
      ]);
      expect(await lane.stop()).toBe(0);
    } finally {
      lane.crash();
      await bad.close();
      await good.close();
    }
  });

  it('kill -9 of the lane mid-way: after a restart every event arrives in order, only the one in flight may repeat', async () => {
    const rx = await startReceiver();
    const { webhook, secret } = await hook(rx);
    for (let i = 0; i < 12; i++) rx.next({ status: 200, delayMs: 150 });
    const first = await startWebhookProcess(t.dbUrl);
    const order = await publishP0('Checkout is down');
    await expect.poll(() => delivered(rx).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    first.crash();
    await first.exited;
    const inFlight = (await states(webhook.id)).filter((d) => d.state === 'sending').length;
    expect(inFlight).toBeLessThanOrEqual(1);
    const second = await startWebhookProcess(t.dbUrl);
    try {
      await expect
        .poll(async () => (await states(webhook.id)).every((d) => d.state === 'sent'), {
          timeout: 30_000,
        })
        .toBe(true);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    const got = rx.received.map(updateOf);
    const firsts = got.filter((id, i) => got.indexOf(id) === i);
    expect(firsts).toEqual(order);
    const repeats = got.filter((id, i) => got.indexOf(id) !== i);
    expect(repeats.length).toBeLessThanOrEqual(1);
    // A repeat can only be the delivery right before the crash point, sent again at once.
    for (const id of repeats) expect(got.lastIndexOf(id) - got.indexOf(id)).toBe(1);
    for (const r of rx.received)
      expect(verifySignature(secret, String(r.headers['x-herald-signature']), r.body)).toBe(true);
    await rx.close();
  });
});
