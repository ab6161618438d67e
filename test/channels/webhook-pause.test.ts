import { and, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { type Receiver, startReceiver } from './receiver.ts';

describe('a webhook paused by failures keeps its queue', () => {
  let t: TestContext;
  let rx: Receiver;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    t = await createTestContext();
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    rx = await startReceiver();
    await t.deps.db.delete(webhooks);
  });
  afterEach(() => rx.close());

  const lane = () => createWebhookWorker(t.deps, { random: () => 0.5, baseBackoffMs: 1000 });
  async function addHook() {
    const r = await admin.post('/api/admin/webhooks', {
      url: rx.url,
      allowPrivate: true,
      events: ['incident.created', 'incident.updated'],
    });
    expect(r.status).toBe(201);
    return (r.json as { webhook: { id: string } }).webhook.id;
  }
  async function hookState(id: string) {
    const [w] = await t.deps.db.select().from(webhooks).where(eq(webhooks.id, id));
    return w!;
  }
  /** Fails the head 20 times in a row (the receiver answers 503): the webhook pauses. */
  async function failUntilPaused(id: string) {
    for (let i = 0; i < 20; i++) {
      rx.next({ status: 503 });
      expect(await lane().runOnce()).toBe(1);
      t.clock.advance(2 * 3600_000);
    }
    expect(await hookState(id)).toMatchObject({ state: 'paused', consecutiveFailures: 20 });
  }
  const updateOf = (body: string) =>
    (JSON.parse(body) as { incident: { incident_updates: { id: string }[] } }).incident
      .incident_updates[0]!.id;

  it('resumed by an admin, it sends everything queued, in publish order, with each event’s own time', async () => {
    const id = await addHook();
    const { incident, updateId } = await makeIncident(t.deps, { priority: 0, title: 'Down' });
    const order = [updateId];
    const times = [t.clock.now().toISOString()];
    await failUntilPaused(id);
    // Published while paused: queued, not skipped.
    for (let i = 1; i <= 3; i++) {
      t.clock.advance(60_000);
      times.push(t.clock.now().toISOString());
      order.push(
        (await postIncidentUpdate(t.deps, { incidentId: incident.id, body: `U${i}` }, testActor))
          .updateId,
      );
    }
    const queued = await t.deps.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, id));
    expect(queued.map((d) => d.state)).toEqual(['pending', 'pending', 'pending', 'pending']);
    const page = await admin.get(`/api/admin/webhooks/${id}`);
    expect(page.json.queued).toBe(4);

    const resumed = await admin.post(`/api/admin/webhooks/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.json).toEqual({ queued: 4 });
    const before = rx.received.length;
    t.clock.advance(1000);
    expect(await lane().runOnce()).toBe(4);
    const sent = rx.received.slice(before);
    expect(sent.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(sent.map((r) => updateOf(r.body))).toEqual(order);
    expect(sent.map((r) => JSON.parse(r.body).meta.event_created_at)).toEqual(times);
    const [audit] = await t.deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'webhook.resume'), eq(auditLog.objectId, id)));
    expect(audit).toBeDefined();
    // Resuming what is not paused is a conflict, not a silent no-op.
    expect((await admin.post(`/api/admin/webhooks/${id}/resume`)).status).toBe(409);
  });

  it('resumes by itself when a later probe of its oldest delivery gets through', async () => {
    const id = await addHook();
    await makeIncident(t.deps, { priority: 0, title: 'Probe' });
    await failUntilPaused(id);
    expect(await lane().runOnce()).toBe(1); // the probe, answered 200 (nothing queued)
    expect(await hookState(id)).toMatchObject({ state: 'active', consecutiveFailures: 0 });
    expect(rx.received.at(-1)!.status).toBe(200);
  });

  it("an admin's test that fails leaves it paused with its queue; one that gets through resumes it and sends the queue in order", async () => {
    const id = await addHook();
    const { incident, updateId } = await makeIncident(t.deps, { priority: 0, title: 'Test' });
    await failUntilPaused(id);
    const second = (
      await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'More' }, testActor)
    ).updateId;

    const queue = () =>
      t.deps.db
        .select({ state: webhookDeliveries.state, next: webhookDeliveries.nextAttemptAt })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.webhookId, id), sql`event != 'test'`));
    const waiting = await queue();
    rx.next({ status: 503 });
    const failed = await admin.post(`/api/admin/webhooks/${id}/test`);
    expect(failed.status).toBe(422);
    // Still paused, its queue as it was: not made due on the failed test's account.
    expect(await hookState(id)).toMatchObject({ state: 'paused' });
    expect(await queue()).toEqual(waiting);

    const before = rx.received.length;
    const passed = await admin.post(`/api/admin/webhooks/${id}/test`);
    expect(passed.status).toBe(200);
    expect(await hookState(id)).toMatchObject({ state: 'active', consecutiveFailures: 0 });
    while ((await lane().runOnce()) > 0);
    const sent = rx.received.slice(before + 1).map((r) => updateOf(r.body));
    expect(sent).toEqual([updateId, second]);
  });

  it('an admin can drop a paused queue, audited; an active one cannot be dropped', async () => {
    const id = await addHook();
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Drop' });
    expect((await admin.post(`/api/admin/webhooks/${id}/drop-queue`)).status).toBe(409);
    await failUntilPaused(id);
    await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'More' }, testActor);
    const r = await admin.post(`/api/admin/webhooks/${id}/drop-queue`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ dropped: 2 });
    const rows = await t.deps.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, id));
    expect(rows.map((d) => [d.state, d.lastError])).toEqual([
      ['skipped', 'dropped by an admin'],
      ['skipped', 'dropped by an admin'],
    ]);
    const [audit] = await t.deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'webhook.drop_queue'), eq(auditLog.objectId, id)));
    expect(audit).toBeDefined();
    const before = rx.received.length;
    t.clock.advance(3 * 3600_000);
    expect(await lane().runOnce()).toBe(0);
    expect(rx.received.length).toBe(before);
  });
});
