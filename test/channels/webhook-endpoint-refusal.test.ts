import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, outboxMessages, webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startReceiver, verifySignature } from './receiver.ts';

// A receiver that turns the webhook itself away (a rotated token, a moved or deleted endpoint)
// would refuse every later event too. Such an answer holds the webhook's queue like an outage
// instead of failing one event after another for good; fixing the receiver, or pointing the
// webhook at its new URL, sends all of it once, in publish order.
describe('a receiver that refuses the webhook itself loses no event', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });
  // Each test's incidents reach only its own webhook.
  beforeEach(() => t.deps.db.delete(webhooks));

  const lane = () => createWebhookWorker(t.deps, { random: () => 0.5, baseBackoffMs: 1000 });
  async function addHook(url: string) {
    const r = await admin.post('/api/admin/webhooks', {
      url,
      allowPrivate: true,
      events: ['incident.created', 'incident.updated'],
    });
    expect(r.status).toBe(201);
    return r.json as { webhook: { id: string }; secret: string };
  }
  const states = async (id: string) =>
    (
      await t.deps.db
        .select({ state: webhookDeliveries.state })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.webhookId, id))
    ).map((d) => d.state);
  const updateOf = (body: string) =>
    (JSON.parse(body) as { incident: { incident_updates: { id: string }[] } }).incident
      .incident_updates[0]!.id;

  it('a rotated token (401): the queue waits through the pause, and the fixed receiver gets every event once, in order', async () => {
    await makeUser(t, 'admin', 'webhook-admin@example.com');
    const rx = await startReceiver();
    try {
      const { webhook, secret } = await addHook(rx.url);
      const { incident, updateId } = await makeIncident(t.deps, { priority: 0, title: 'Down' });
      const order = [updateId];
      for (let i = 1; i <= 3; i++)
        order.push(
          (await postIncidentUpdate(t.deps, { incidentId: incident.id, body: `U${i}` }, testActor))
            .updateId,
        );
      // The receiver's token was rotated: it refuses every request Herald makes.
      for (let i = 0; i < 20; i++) {
        rx.next({ status: 401, body: 'invalid token' });
        expect(await lane().runOnce()).toBe(1);
        t.clock.advance(2 * 3600_000);
      }
      // Only the head was tried, 20 times; nothing failed for good.
      expect(rx.received.map((r) => updateOf(r.body))).toEqual(Array(20).fill(updateId));
      expect(await states(webhook.id)).toEqual(['pending', 'pending', 'pending', 'pending']);
      const [w] = await t.deps.db.select().from(webhooks).where(eq(webhooks.id, webhook.id));
      expect(w).toMatchObject({ state: 'paused', consecutiveFailures: 20 });
      const read = await admin.get(`/api/admin/webhooks/${webhook.id}`);
      expect(read.json.queued).toBe(4);
      const head = read.json.deliveries.find((d: { attempts: number }) => d.attempts > 0);
      expect(head.lastStatus).toBe(401);
      expect(head.lastError).toContain('answered 401: invalid token');
      expect(head.lastError).toContain('the queue waits');
      const mail = await t.deps.db
        .select()
        .from(outboxMessages)
        .where(eq(outboxMessages.toAddress, 'webhook-admin@example.com'));
      expect(JSON.stringify(mail.map((m) => m.payload))).toContain('paused after 20 failures');

      // The receiver takes the new token; the admin's test gets through and resumes it.
      const test = await admin.post(`/api/admin/webhooks/${webhook.id}/test`);
      expect(test.status).toBe(200);
      const before = rx.received.length;
      expect(await lane().runOnce()).toBe(4);
      const sent = rx.received.slice(before);
      expect(sent.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(sent.map((r) => updateOf(r.body))).toEqual(order);
      for (const r of sent)
        expect(verifySignature(secret, String(r.headers['x-herald-signature']), r.body)).toBe(true);
      expect(await states(webhook.id)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    } finally {
      await rx.close();
    }
  });

  it('a moved endpoint (410 at the old URL): the admin points the webhook at the new one on its page, and the queue goes there, in order', async () => {
    const old = await startReceiver();
    const moved = await startReceiver();
    try {
      const { webhook, secret } = await addHook(old.url);
      const { incident, updateId } = await makeIncident(t.deps, { priority: 1, title: 'Slow' });
      const second = (
        await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'Still slow' }, testActor)
      ).updateId;
      old.next({ status: 410, body: 'gone' });
      expect(await lane().runOnce()).toBe(1);
      expect(await states(webhook.id)).toEqual(['pending', 'pending']);

      const user = await makeUser(t, 'admin');
      const browser = new FormClient(site.base);
      await browser.login(user.email);
      const page = await browser.get(`/admin/webhooks/${webhook.id}`);
      expect(page.html).toContain('answered 410: gone');
      expect(page.html).toContain('Change the URL');

      // A refused address keeps what was typed and changes nothing.
      const refused = await browser.post(`/admin/webhooks/${webhook.id}`, {
        _action: 'change-url',
        url: 'ftp://example.com/hook',
        allowPrivate: 'on',
      });
      expect(refused.res.status).toBe(422);
      expect(refused.html).toContain('value="ftp://example.com/hook"');
      const [unchanged] = await t.deps.db
        .select()
        .from(webhooks)
        .where(eq(webhooks.id, webhook.id));
      expect(unchanged!.url).toBe(old.url);

      const done = await browser.post(`/admin/webhooks/${webhook.id}`, {
        _action: 'change-url',
        url: moved.url,
        allowPrivate: 'on',
      });
      expect(done.res.status).toBe(303);
      const location = done.res.headers.get('location')!;
      expect(location).toContain('done=moved-2');
      expect((await browser.get(location)).html).toContain(
        'the 2 deliveries queued go there now, in order',
      );

      expect(await lane().runOnce()).toBe(2);
      expect(moved.received.map((r) => updateOf(r.body))).toEqual([updateId, second]);
      for (const r of moved.received)
        expect(verifySignature(secret, String(r.headers['x-herald-signature']), r.body)).toBe(true);
      expect(old.received).toHaveLength(1);
      const [audit] = await t.deps.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'webhook.change_url'), eq(auditLog.objectId, webhook.id)));
      expect(JSON.stringify(audit)).toContain(old.url);
      expect(JSON.stringify(audit)).toContain(moved.url);
    } finally {
      await old.close();
      await moved.close();
    }
  });

  it('changing the URL is for admins only, and answers 404 for an unknown webhook', async () => {
    const rx = await startReceiver();
    try {
      const { webhook } = await addHook(rx.url);
      const responder = api(t, (await makeToken(t, 'responder')).secret);
      const r = await responder.patch(`/api/admin/webhooks/${webhook.id}`, {
        url: 'https://example.com/hook',
      });
      expect(r.status).toBe(403);
      const [w] = await t.deps.db.select().from(webhooks).where(eq(webhooks.id, webhook.id));
      expect(w!.url).toBe(rx.url);
      const missing = await admin.patch('/api/admin/webhooks/nope', {
        url: 'https://example.com/hook',
      });
      expect(missing.status).toBe(404);
      const ok = await admin.patch(`/api/admin/webhooks/${webhook.id}`, {
        url: 'https://example.com/hook',
      });
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({
        webhook: { url: 'https://example.com/hook', allowPrivate: true },
        queued: 0,
      });
    } finally {
      await rx.close();
    }
  });

  it('a change of URL with bad input answers a clear 4xx and changes nothing', async () => {
    const rx = await startReceiver();
    try {
      const { webhook } = await addHook(rx.url);
      const path = `/api/admin/webhooks/${webhook.id}`;
      for (const [body, field] of [
        [{ url: null }, 'url'],
        [{ url: '' }, 'url'],
        [{ url: 42 }, 'url'],
        [{}, 'url'],
        [{ url: `https://example.com/${'a'.repeat(2100)}` }, 'url'],
        [{ url: 'https://example.com/hook', allowPrivate: 'yes' }, 'allowPrivate'],
        [{ url: 'https://example.com/hook', secret: 'mine' }, 'secret'],
      ] as const) {
        const r = await admin.patch(path, body);
        expect(r.status, JSON.stringify(body)).toBe(422);
        expect(Object.keys(r.json.error.fields), JSON.stringify(body)).toContain(field);
      }
      expect((await admin.patch(path, 'not json')).status).toBe(400);
      const huge = await admin.patch(path, { url: `https://example.com/${'a'.repeat(1_000_000)}` });
      expect(huge.status).toBe(413);
      expect((await admin.put(path, { url: 'https://example.com/hook' })).status).toBe(405);
      const [w] = await t.deps.db.select().from(webhooks).where(eq(webhooks.id, webhook.id));
      expect(w!.url).toBe(rx.url);
      const audits = await t.deps.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'webhook.change_url'), eq(auditLog.objectId, webhook.id)));
      expect(audits).toEqual([]);
    } finally {
      await rx.close();
    }
  });
});

// Another Herald process (a long import, the delivery process recording a group) holds the
// database's write lock while an admin moves a webhook: the admin is told to try again, and the
// webhook, its queue and the audit log are as they were; the retry moves it.
describe("changing a webhook's URL while another process holds the write lock", () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  beforeAll(async () => {
    t = await createTestContext({
      clock: systemClock,
      env: { DATABASE_WRITE_WAIT_SECONDS: '0.2' },
    });
    site = await startSite(t);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('answers 503 with Retry-After and changes nothing; the retry moves the queue', async () => {
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    const old = await startReceiver();
    const moved = await startReceiver();
    try {
      const r = await admin.post('/api/admin/webhooks', {
        url: old.url,
        allowPrivate: true,
        events: ['incident.created', 'incident.updated'],
      });
      expect(r.status).toBe(201);
      const id = (r.json as { webhook: { id: string } }).webhook.id;
      await makeIncident(t.deps, { priority: 1, title: 'Slow' });
      old.next({ status: 410, body: 'gone' });
      const lane = createWebhookWorker(t.deps, { random: () => 0.5 });
      expect(await lane.runOnce()).toBe(1);
      const before = await t.deps.db.select().from(webhooks).where(eq(webhooks.id, id));
      const browser = new FormClient(site.base);
      await browser.login((await makeUser(t, 'admin')).email);

      const lock = await holdWriteLock(t.dbUrl, 'until-released');
      let refused, form;
      try {
        refused = await admin.patch(`/api/admin/webhooks/${id}`, { url: moved.url });
        form = await browser.post(`/admin/webhooks/${id}`, {
          _action: 'change-url',
          url: moved.url,
          allowPrivate: 'on',
        });
      } finally {
        lock.release();
        await lock.released;
      }
      expect(refused.status).toBe(503);
      expect(Number(refused.res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.json.error.code).toBe('database_busy');
      // The form's page says so and keeps the URL that was typed.
      expect(form!.res.status).toBe(503);
      expect(form!.html).toContain('The database is busy with another Herald process');
      expect(form!.html).toContain('nothing was saved');
      expect(form!.html).toContain(`value="${moved.url}"`);
      expect(await t.deps.db.select().from(webhooks).where(eq(webhooks.id, id))).toEqual(before);
      expect(
        await t.deps.db.select().from(auditLog).where(eq(auditLog.action, 'webhook.change_url')),
      ).toEqual([]);

      const retried = await admin.patch(`/api/admin/webhooks/${id}`, { url: moved.url });
      expect(retried.status).toBe(200);
      expect(await lane.runOnce()).toBe(1);
      expect(moved.received).toHaveLength(1);
      expect(old.received).toHaveLength(1);
    } finally {
      await old.close();
      await moved.close();
    }
  });
});
