import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outboxMessages, webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import { setComponentStatus } from '../../server/domain/components/set-component-status.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createWebhookWorker, postWebhook } from '../../server/delivery/webhook-channel.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { makeUser } from '../helpers/site.ts';
import { type Receiver, startReceiver, verifySignature as verify } from './receiver.ts';

describe('webhook deliveries to a real receiver', () => {
  let t: TestContext;
  let rx: Receiver;
  let admin: ReturnType<typeof api>;
  let componentId = '';

  beforeAll(async () => {
    t = await createTestContext();
    admin = api(t, (await makeToken(t, 'admin')).secret);
    componentId = (await makeComponent(t.deps, { name: 'API' })).id;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    rx = await startReceiver();
    await t.deps.db.delete(webhooks);
  });
  afterEach(() => rx.close());

  // Loopback receivers need the explicit per-webhook opt-in that only admins can give.
  async function addHook(extra: Record<string, unknown> = {}) {
    const r = await admin.post('/api/admin/webhooks', {
      url: rx.url,
      allowPrivate: true,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json as { webhook: { id: string }; secret: string };
  }
  const worker = (opts: Parameters<typeof createWebhookWorker>[1] = {}) =>
    createWebhookWorker(t.deps, { random: () => 0.5, ...opts });
  async function deliveries(webhookId: string) {
    return t.deps.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, webhookId));
  }

  it('POSTs the Statuspage envelope, signed with the secret shown once', async () => {
    const { webhook, secret } = await addHook();
    expect(secret).toMatch(/^whsec_/);
    const listed = await admin.get('/api/admin/webhooks');
    expect(JSON.stringify(listed.json)).not.toContain(secret);

    const { incident } = await makeIncident(t.deps, {
      title: 'API down',
      priority: 1,
      body: 'The API answers 503.',
      components: [{ componentId, status: 'major_outage' }],
    });
    expect(await worker().runOnce()).toBe(2); // the component change and the incident
    const byEvent = new Map(rx.received.map((r) => [r.headers['x-herald-event'], r]));
    const created = byEvent.get('incident.created')!;
    expect(verify(secret, String(created.headers['x-herald-signature']), created.body)).toBe(true);
    expect(verify('whsec_wrong', String(created.headers['x-herald-signature']), created.body)).toBe(
      false,
    );
    const ts = Number(/t=(\d+)/.exec(String(created.headers['x-herald-signature']))![1]);
    expect(ts).toBe(Math.floor(t.clock.now().getTime() / 1000));
    const env = JSON.parse(created.body);
    expect(Object.keys(env).sort()).toEqual(['incident', 'meta', 'page']);
    expect(env.meta).toEqual({
      unsubscribe: expect.stringContaining('https://status.example.com/'),
      documentation: expect.stringContaining('https://status.example.com/'),
      event_created_at: t.clock.now().toISOString(),
    });
    expect(env.page).toMatchObject({
      status_indicator: 'critical',
      status_description: expect.any(String),
    });
    expect(env.incident).toMatchObject({
      id: incident.id,
      name: 'API down',
      status: 'investigating',
    });
    expect(env.incident.incident_updates).toHaveLength(1);

    const change = JSON.parse(byEvent.get('component.updated')!.body);
    expect(change.component_update).toMatchObject({
      component_id: componentId,
      old_status: 'operational',
      new_status: 'major_outage',
      created_at: t.clock.now().toISOString(),
    });
    expect(change.component).toMatchObject({
      id: componentId,
      name: 'API',
      status: 'major_outage',
    });

    t.clock.advance(60_000);
    await postIncidentUpdate(
      t.deps,
      { incidentId: incident.id, status: 'identified', body: 'Found it.' },
      testActor,
    );
    t.clock.advance(60_000);
    await resolveIncident(t.deps, { incidentId: incident.id }, testActor);
    rx.received.length = 0;
    await worker().runOnce();
    const events = rx.received.map((r) => r.headers['x-herald-event']).sort();
    expect(events).toEqual(['component.updated', 'incident.resolved', 'incident.updated']);
    const updated = JSON.parse(
      rx.received.find((r) => r.headers['x-herald-event'] === 'incident.updated')!.body,
    );
    // As it was when that update went out: the later all-clear is not in it.
    expect(updated.incident.incident_updates.map((u: { status: string }) => u.status)).toEqual([
      'identified',
      'investigating',
    ]);
    expect(
      (await deliveries(webhook.id)).every((d) => d.state === 'sent' && d.lastStatus === 200),
    ).toBe(true);
  });

  it('retries after a 500 with backoff, and a 422 about one event is permanent', async () => {
    const { webhook } = await addHook({ events: ['component.updated'] });
    rx.next({ status: 500, body: 'oops' });
    await setComponentStatus(t.deps, { componentId, status: 'degraded_performance' }, testActor);
    const w = worker({ baseBackoffMs: 30_000 });
    expect(await w.runOnce()).toBe(1);
    let [d] = await deliveries(webhook.id);
    expect(d).toMatchObject({ state: 'pending', lastStatus: 500, attempts: 1 });
    expect(d!.lastError).toContain('answered 500: oops');
    expect(await w.runOnce()).toBe(0); // not due yet
    t.clock.advance(30_000);
    expect(await w.runOnce()).toBe(1);
    [d] = await deliveries(webhook.id);
    expect(d).toMatchObject({ state: 'sent', lastStatus: 200, attempts: 2 });
    expect(rx.received).toHaveLength(2);
    expect(rx.received[0]!.body).toBe(rx.received[1]!.body);

    rx.next({ status: 422, body: 'unknown field' });
    await setComponentStatus(t.deps, { componentId, status: 'operational' }, testActor);
    await w.runOnce();
    const failed = (await deliveries(webhook.id)).find((x) => x.state !== 'sent')!;
    expect(failed).toMatchObject({ state: 'failed', lastStatus: 422, attempts: 1 });
    expect(failed.lastError).toBe('answered 422: unknown field');
    rx.next({ status: 429 });
    await setComponentStatus(t.deps, { componentId, status: 'major_outage' }, testActor);
    await w.runOnce();
    expect(
      (await deliveries(webhook.id)).some((x) => x.state === 'pending' && x.lastStatus === 429),
    ).toBe(true);
    await setComponentStatus(t.deps, { componentId, status: 'operational' }, testActor);
  });

  it('a receiver that never answers times out and is retried; the lane is not held', async () => {
    const { webhook } = await addHook({ events: ['component.updated'] });
    rx.next({ hang: true });
    await setComponentStatus(t.deps, { componentId, status: 'partial_outage' }, testActor);
    const w = worker({ timeoutMs: 300 });
    expect(await w.runOnce()).toBe(1);
    let [d] = await deliveries(webhook.id);
    expect(d).toMatchObject({
      state: 'pending',
      lastStatus: null,
      lastError: 'no answer within 0.3 s',
    });
    t.clock.advance(60_000);
    await w.runOnce();
    [d] = await deliveries(webhook.id);
    expect(d).toMatchObject({ state: 'sent', attempts: 2 });
    await setComponentStatus(t.deps, { componentId, status: 'operational' }, testActor);
  });

  it('an endless answer is cut after a bounded number of bytes', async () => {
    const { webhook } = await addHook({ events: ['component.updated'] });
    rx.next({ status: 503, endless: true });
    await setComponentStatus(t.deps, { componentId, status: 'partial_outage' }, testActor);
    const w = worker({ timeoutMs: 5000, maxResponseBytes: 8 * 1024 });
    expect(await w.runOnce()).toBe(1);
    const [d] = await deliveries(webhook.id);
    expect(d).toMatchObject({ state: 'pending', lastStatus: 503 });
    expect(d!.lastError!.length).toBeLessThan(300);
    // Herald hung up: the receiver's socket is closed, whatever it still wanted to send.
    await expect.poll(() => rx.openConnections, { timeout: 10_000 }).toBe(0);
    await setComponentStatus(t.deps, { componentId, status: 'operational' }, testActor);
  });

  it('follows no redirect, and holds the queue until the URL is fixed', async () => {
    const { webhook } = await addHook({ events: ['component.updated'] });
    rx.next({ status: 302, headers: { location: 'http://10.0.0.1/internal' } });
    await setComponentStatus(t.deps, { componentId, status: 'partial_outage' }, testActor);
    await worker().runOnce();
    const [d] = await deliveries(webhook.id);
    expect(d).toMatchObject({ state: 'pending', lastStatus: 302, attempts: 1 });
    expect(d!.lastError).toContain('follows no redirects');
    expect(d!.lastError).toContain('the queue waits');
    expect(rx.received).toHaveLength(1);
    t.clock.advance(60_000);
    expect(await worker().runOnce()).toBe(1);
    expect((await deliveries(webhook.id))[0]).toMatchObject({ state: 'sent', attempts: 2 });
    await setComponentStatus(t.deps, { componentId, status: 'operational' }, testActor);
  });

  it('pauses a webhook after 20 failures in a row and emails the admins', async () => {
    await makeUser(t, 'admin', 'ops@example.com');
    const { webhook } = await addHook({ events: ['component.updated'] });
    for (let i = 0; i < 20; i++) rx.next({ status: 400 });
    for (let i = 0; i < 10; i++) {
      await setComponentStatus(t.deps, { componentId, status: 'degraded_performance' }, testActor);
      await setComponentStatus(t.deps, { componentId, status: 'operational' }, testActor);
    }
    await worker({ batchSize: 20 }).runOnce();
    const [w] = await t.deps.db.select().from(webhooks).where(eq(webhooks.id, webhook.id));
    expect(w).toMatchObject({ state: 'paused', consecutiveFailures: 20 });
    const mail = await t.deps.db
      .select()
      .from(outboxMessages)
      .where(eq(outboxMessages.toAddress, 'ops@example.com'));
    expect(mail).toHaveLength(1);
    const told = JSON.stringify(mail[0]!.payload);
    expect(told).toContain('paused after 20 failures');
    // Which one, by its host: the URL itself (a chat URL is a secret) stays out of the mailbox.
    expect(told).toContain(`Herald paused the webhook at 127.0.0.1:${rx.port}`);
    expect(told).toContain('Nothing is lost');
    expect(told).not.toContain(rx.url);
    // A paused webhook keeps queueing: nothing it misses is lost.
    await setComponentStatus(t.deps, { componentId, status: 'major_outage' }, testActor);
    expect((await deliveries(webhook.id)).filter((d) => d.state === 'pending')).toHaveLength(1);
    // A test that gets through resumes it.
    const test = await admin.post(`/api/admin/webhooks/${webhook.id}/test`);
    expect(test.status).toBe(200);
    expect(test.json.delivery.status).toBe(200);
    const [again] = await t.deps.db.select().from(webhooks).where(eq(webhooks.id, webhook.id));
    expect(again).toMatchObject({ state: 'active', consecutiveFailures: 0 });
    await setComponentStatus(t.deps, { componentId, status: 'operational' }, testActor);
  });

  it('POST /api/admin/webhooks/{id}/test answers 422 when the receiver fails', async () => {
    const { webhook, secret } = await addHook();
    rx.next({ status: 500 });
    const r = await admin.post(`/api/admin/webhooks/${webhook.id}/test`);
    expect(r.status).toBe(422);
    expect(r.json.error.message).toContain('The test did not get through: answered 500');
    const ok = await admin.post(`/api/admin/webhooks/${webhook.id}/test`);
    expect(ok.status).toBe(200);
    const last = rx.received.at(-1)!;
    expect(last.headers['x-herald-event']).toBe('test');
    expect(verify(secret, String(last.headers['x-herald-signature']), last.body)).toBe(true);
    const one = await admin.get(`/api/admin/webhooks/${webhook.id}`);
    expect(one.json.deliveries.map((d: { lastStatus: number }) => d.lastStatus).sort()).toEqual([
      200, 500,
    ]);
    // The failed test was answered on the spot: it is not sent again later.
    const failedTest = one.json.deliveries.find(
      (d: { lastStatus: number }) => d.lastStatus === 500,
    );
    expect(failedTest).toMatchObject({ state: 'failed' });
    expect(failedTest.lastError).toContain('(a test is not sent again)');
    t.clock.advance(2 * 3600_000);
    expect(await worker().runOnce()).toBe(0);
    expect(rx.received.filter((x) => x.headers['x-herald-event'] === 'test')).toHaveLength(2);
    expect((await admin.del(`/api/admin/webhooks/${webhook.id}`)).status).toBe(204);
    expect((await admin.get(`/api/admin/webhooks/${webhook.id}`)).status).toBe(404);
  });

  it('a secret that cannot be unsealed fails the delivery for good instead of looping', async () => {
    const { webhook } = await addHook({ events: ['component.updated'] });
    // As if SECRET_KEY had changed since the webhook was added.
    await t.deps.db
      .update(webhooks)
      .set({ secretBox: 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA' })
      .where(eq(webhooks.id, webhook.id));
    await setComponentStatus(t.deps, { componentId, status: 'partial_outage' }, testActor);
    expect(await worker().runOnce()).toBe(1);
    const [d] = await deliveries(webhook.id);
    expect(d).toMatchObject({ state: 'failed', attempts: 1 });
    expect(d!.lastError).toContain('was SECRET_KEY changed?');
    expect(rx.received).toHaveLength(0);
    await setComponentStatus(t.deps, { componentId, status: 'operational' }, testActor);
  });

  it('drills reach drill channels only, and P2 stays off a default channel', async () => {
    const real = await addHook({ events: ['incident.created'] });
    const drill = await addHook({ events: ['incident.created'], isDrill: true });
    await makeIncident(t.deps, { title: 'Practice', priority: 1, isDrill: true, body: 'Drill.' });
    await makeIncident(t.deps, { title: 'Minor', priority: 2, body: 'Small.' });
    await worker().runOnce();
    expect(await deliveries(real.webhook.id)).toHaveLength(0);
    expect(await deliveries(drill.webhook.id)).toHaveLength(1);
  });
});

describe('webhook URLs', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    t = await createTestContext();
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(() => t.close());

  it('refuses non-http URLs and private addresses with a 422 naming the field', async () => {
    const cases: [string, string][] = [
      ['ftp://example.com/hook', 'must start with http:// or https://'],
      ['javascript:alert(1)', 'must start with http:// or https://'],
      ['not a url', 'is not a URL'],
      ['http://user:pw@example.com/', 'must not carry a user name or password'],
      ['http://127.0.0.1:9/hook', 'loopback or private'],
      ['http://10.1.2.3/hook', 'loopback or private'],
      ['http://169.254.169.254/latest/meta-data', 'loopback or private'],
      ['http://[::1]/hook', 'loopback or private'],
      ['http://[::ffff:192.168.0.1]/hook', 'loopback or private'],
      ['http://localhost:9/hook', 'loopback or private'],
    ];
    for (const [url, message] of cases) {
      const r = await admin.post('/api/admin/webhooks', { url });
      expect(r.status, url).toBe(422);
      expect(r.json.error.fields.url, url).toContain(message);
    }
    const unknown = await admin.post('/api/admin/webhooks', {
      url: 'https://example.com/',
      secret: 'x',
    });
    expect(unknown.status).toBe(422);
    const responder = api(t, (await makeToken(t, 'responder')).secret);
    expect(
      (await responder.post('/api/admin/webhooks', { url: 'https://example.com/' })).status,
    ).toBe(403);
    expect((await admin.get('/api/admin/webhooks')).json.webhooks).toEqual([]);
  });

  it('checks the address again at send time', async () => {
    const rx = await startReceiver();
    try {
      // Added while it was allowed... and sent by a request that is not allowed any more.
      const { webhook, secret } = await createWebhook(
        t.deps,
        { url: rx.url, allowPrivate: true },
        testActor,
      );
      const base = {
        deliveryId: 'd1',
        webhookId: webhook.id,
        allowPrivate: false,
        secret,
        body: '{}',
      };
      const literal = await postWebhook({ ...base, url: rx.url }, new Date(), {
        timeoutMs: 1000,
        maxBytes: 1024,
        event: 'test',
      });
      // Refused each time it is tried; held, not failed: a fixed URL sends the queue.
      expect(literal).toMatchObject({ ok: false, permanent: false });
      const named = await postWebhook(
        { ...base, url: `http://localhost:${rx.port}/hook` },
        new Date(),
        { timeoutMs: 1000, maxBytes: 1024, event: 'test' },
      );
      expect(named).toMatchObject({ ok: false, permanent: false });
      expect('error' in named && named.error).toContain('private address');
      expect('error' in named && named.error).toContain('the queue waits');
      expect(rx.received).toHaveLength(0);
    } finally {
      await rx.close();
    }
  });

  it('lists the webhook operations in the OpenAPI document', async () => {
    const doc = (await admin.get('/api/admin/openapi.json')).json;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/admin/webhooks',
        '/api/admin/webhooks/{id}',
        '/api/admin/webhooks/{id}/test',
      ]),
    );
  });
});
