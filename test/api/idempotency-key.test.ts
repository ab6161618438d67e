import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiTokens,
  broadcasts,
  incidents,
  incidentUpdates,
  submissionKeys,
} from '../../db/schema/index.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { startApiProcess } from '../helpers/lock-holder.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('Idempotency-Key on the admin API', () => {
  let t: TestContext;
  let pm: ReturnType<typeof api>;
  let pmSecret: string;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    t = await createTestContext();
    pmSecret = (await makeToken(t, 'responder')).secret;
    pm = api(t, pmSecret);
    admin = api(t, (await makeToken(t, 'admin')).secret);
    await makeConfirmedSubscriber(t.deps, 'stakeholder@example.org');
  });
  afterAll(() => t.close());

  const declared = (title: string) =>
    t.deps.db.select().from(incidents).where(eq(incidents.title, title));
  const once = (key: string) => ({ 'idempotency-key': key });

  it('the same key and body declares one incident; the repeat answers the first result again', async () => {
    const body = {
      title: 'Payments failing',
      priority: 1,
      body: 'Card payments are declined.',
      nextUpdateInMinutes: 30,
    };
    const first = await pm.post('/api/admin/incidents', body, once('declare-payments-1'));
    expect(first.status).toBe(201);
    expect(first.res.headers.get('idempotent-replayed')).toBeNull();
    // The same content sent again by a client that orders its keys differently.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await pm.post('/api/admin/incidents', reordered, once('declare-payments-1'));
    expect(again.status).toBe(201);
    expect(again.res.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    expect(await declared('Payments failing')).toHaveLength(1);
  });

  it('the same key with a different body is refused (422) and creates nothing', async () => {
    const body = { title: 'Search down', priority: 2, body: 'Search fails.' };
    expect((await pm.post('/api/admin/incidents', body, once('declare-search'))).status).toBe(201);
    const other = await pm.post(
      '/api/admin/incidents',
      { ...body, title: 'Search slow' },
      once('declare-search'),
    );
    expect(other.status).toBe(422);
    expect(other.json.error.code).toBe('idempotency_key_reused');
    expect(other.json.error.message).toMatch(/already used for a different request/);
    expect(await declared('Search slow')).toHaveLength(0);
    // Another path with the key is a different request too.
    const { incident } = await makeIncident(t.deps, { priority: 3, title: 'Elsewhere' });
    const elsewhere = await pm.post(
      `/api/admin/incidents/${incident.id}/updates`,
      { body: 'Looking.' },
      once('declare-search'),
    );
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.json.error.code).toBe('idempotency_key_reused');
  });

  it('two updates sent at once with one key post one update and one broadcast', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Checkout errors' });
    const before = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    const path = `/api/admin/incidents/${incident.id}/updates`;
    const body = {
      status: 'identified',
      body: 'A bad deploy; rolling back.',
      nextUpdateInMinutes: 30,
    };
    const answers = await Promise.all([
      pm.post(path, body, once('update-checkout')),
      pm.post(path, body, once('update-checkout')),
    ]);
    // The second either waited for nothing (409: the first still runs) or got its answer again.
    for (const a of answers) expect([201, 409]).toContain(a.status);
    const created = answers.find(
      (a) => a.status === 201 && !a.res.headers.get('idempotent-replayed'),
    );
    expect(created).toBeDefined();
    const rows = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(rows.filter((r) => r.body === 'A bad deploy; rolling back.')).toHaveLength(1);
    const after = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    expect(after).toHaveLength(before.length + 1);
    const later = await pm.post(path, body, once('update-checkout'));
    expect(later.status).toBe(201);
    expect(later.json).toEqual(created!.json);
  });

  it('a refused request does not use up its key: the corrected one runs', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2, title: 'Slow reports' });
    const path = `/api/admin/incidents/${incident.id}/updates`;
    const refused = await pm.post(path, { body: '' }, once('update-reports'));
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe('validation_failed');
    const corrected = await pm.post(path, { body: 'Reports are slow.' }, once('update-reports'));
    expect(corrected.status).toBe(201);
    expect(corrected.res.headers.get('idempotent-replayed')).toBeNull();
    const rows = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(rows.map((r) => r.body)).toContain('Reports are slow.');
  });

  it('without the header nothing changes: each request runs', async () => {
    const body = { title: 'No key given', priority: 3, body: 'Cosmetic.' };
    expect((await pm.post('/api/admin/incidents', body)).status).toBe(201);
    expect((await pm.post('/api/admin/incidents', body)).status).toBe(201);
    expect(await declared('No key given')).toHaveLength(2);
  });

  it("a caller's keys are its own: another token's same key runs", async () => {
    const body = { title: 'Two callers', priority: 3, body: 'Cosmetic.' };
    const other = api(t, (await makeToken(t, 'responder', 'other-bot')).secret);
    expect((await pm.post('/api/admin/incidents', body, once('shared-key'))).status).toBe(201);
    const theirs = await other.post('/api/admin/incidents', body, once('shared-key'));
    expect(theirs.status).toBe(201);
    expect(theirs.res.headers.get('idempotent-replayed')).toBeNull();
    expect(await declared('Two callers')).toHaveLength(2);
  });

  it('never keeps an answer that holds a secret: the repeat of a new token is a 409 saying so', async () => {
    const body = { name: 'pager-once', role: 'responder' };
    const first = await admin.post('/api/admin/tokens', body, once('token-pager'));
    expect(first.status).toBe(201);
    const again = await admin.post('/api/admin/tokens', body, once('token-pager'));
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('idempotency_answer_not_kept');
    expect(again.json.error.message).toMatch(/held a secret that is shown once/);
    expect(
      await t.deps.db.select().from(apiTokens).where(eq(apiTokens.name, 'pager-once')),
    ).toHaveLength(1);
    const kept = await t.deps.db.select().from(submissionKeys);
    expect(JSON.stringify(kept)).not.toContain(first.json.secret);
  });

  it('refuses a key that is not 1 to 255 visible ASCII characters (400), changing nothing', async () => {
    const body = { title: 'Bad key', priority: 3, body: 'Cosmetic.' };
    for (const key of ['has space', 'x'.repeat(256)]) {
      const r = await pm.post('/api/admin/incidents', body, once(key));
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/Idempotency-Key must be 1 to 255 visible ASCII/);
    }
    expect(await declared('Bad key')).toHaveLength(0);
  });

  it('the OpenAPI document offers the header on every write, not on reads', async () => {
    const doc = (await pm.get('/api/admin/openapi.json')).json;
    const names = (op: { parameters: { name: string }[] }) => op.parameters.map((p) => p.name);
    expect(names(doc.paths['/api/admin/incidents'].post)).toContain('Idempotency-Key');
    expect(names(doc.paths['/api/admin/incidents/{id}/updates'].post)).toContain('Idempotency-Key');
    expect(names(doc.paths['/api/admin/incidents'].get)).not.toContain('Idempotency-Key');
  });

  it('a key is kept for a day: then it runs anew, and the scheduler forgets the old keys', async () => {
    const body = { title: 'A day later', priority: 3, body: 'Cosmetic.' };
    expect((await pm.post('/api/admin/incidents', body, once('daily'))).status).toBe(201);
    t.clock.advance(23 * 3_600_000);
    const within = await pm.post('/api/admin/incidents', body, once('daily'));
    expect(within.res.headers.get('idempotent-replayed')).toBe('true');
    t.clock.advance(2 * 3_600_000);
    const after = await pm.post('/api/admin/incidents', body, once('daily'));
    expect(after.status).toBe(201);
    expect(after.res.headers.get('idempotent-replayed')).toBeNull();
    expect(await declared('A day later')).toHaveLength(2);
    const before = await t.deps.db.select().from(submissionKeys);
    expect(before.some((k) => k.expiresAt <= t.clock.now())).toBe(true);
    await createScheduler(t.deps).runOnce();
    const left = await t.deps.db.select().from(submissionKeys);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((k) => k.expiresAt > t.clock.now())).toBe(true);
  });
});

describe('Idempotency-Key while the first request still runs', () => {
  let t: TestContext;
  let rx: Receiver;
  beforeAll(async () => {
    t = await createTestContext();
    rx = await startReceiver();
  });
  afterAll(async () => {
    await rx?.close();
    await t?.close();
  });

  it('answers 409 with Retry-After, and the first result once it is done; the test is sent once', async () => {
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    const { webhook } = await createWebhook(t.deps, { url: rx.url, allowPrivate: true }, testActor);
    const path = `/api/admin/webhooks/${webhook.id}/test`;
    let answer!: () => void;
    rx.next({ status: 200, until: new Promise<void>((resolve) => (answer = resolve)) });
    const first = admin.post(path, {}, { 'idempotency-key': 'test-once' });
    await rx.arrived(1);
    const busy = await admin.post(path, {}, { 'idempotency-key': 'test-once' });
    expect(busy.status).toBe(409);
    expect(busy.json.error.code).toBe('idempotency_key_in_use');
    expect(busy.res.headers.get('retry-after')).toBe('1');
    answer();
    const done = await first;
    expect(done.status).toBe(200);
    const again = await admin.post(path, {}, { 'idempotency-key': 'test-once' });
    expect(again.status).toBe(200);
    expect(again.res.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(done.json);
    expect(rx.received).toHaveLength(1);
  });
});

describe('Idempotency-Key across two Herald processes', () => {
  let t: TestContext;
  let one: Awaited<ReturnType<typeof startApiProcess>>;
  let two: Awaited<ReturnType<typeof startApiProcess>>;
  beforeAll(async () => {
    t = await createTestContext();
    [one, two] = await Promise.all([startApiProcess(t.dbUrl), startApiProcess(t.dbUrl)]);
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await t?.close();
  });

  it('one declare sent to both at once with one key declares one incident', async () => {
    const { secret } = await makeToken(t, 'responder');
    const send = (base: string) =>
      fetch(`${base}/api/admin/incidents`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
          'idempotency-key': 'declare-across',
        },
        body: JSON.stringify({ title: 'Across processes', priority: 2, body: 'Slow.' }),
      });
    const answers = await Promise.all([send(one.base), send(two.base)]);
    for (const a of answers) expect([201, 409]).toContain(a.status);
    expect(answers.some((a) => a.status === 201)).toBe(true);
    expect(
      await t.deps.db.select().from(incidents).where(eq(incidents.title, 'Across processes')),
    ).toHaveLength(1);
  });
});
