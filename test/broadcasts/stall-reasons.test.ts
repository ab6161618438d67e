import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claimDeliveries } from '../../server/domain/broadcasts/outbox-store.ts';
import { readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { freePort } from '../edge/edge-harness.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('why a broadcast is stalled, in the admin API and /healthz', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let secret: string;
  // Each test its own database: every broadcast goes to every subscriber made before it.
  beforeAll(async () => {
    smtp = await startSmtpSink();
  });
  beforeEach(async () => {
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    secret = (await makeToken(t, 'responder')).secret;
  });
  afterEach(async () => {
    smtp.reject(null);
    await t.close();
  });
  afterAll(async () => {
    await smtp.close();
  });

  async function broadcast(prefix: string, n: number) {
    for (let i = 0; i < n; i++) await makeConfirmedSubscriber(t.deps, `${prefix}${i}@example.org`);
    const { incident } = await makeIncident(t.deps, { priority: 0, title: prefix });
    const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
    return b!.id;
  }

  it("GET /api/admin/broadcasts/{id} shows the relay's temporary refusal, how often and the next attempt", async () => {
    const id = await broadcast('refused', 3);
    const fine = await api(t, secret).get(`/api/admin/broadcasts/${id}`);
    expect(fine.json.sending.lastTemporaryError).toBeNull();
    expect(fine.json.sending.reasons).toEqual([]);

    smtp.reject(() => ({ code: 451, message: '4.3.0 Temporary outage' }));
    await testWorker(t).drain();
    const r = await api(t, secret).get(`/api/admin/broadcasts/${id}`);
    expect(r.status).toBe(200);
    expect(r.json.broadcast).toMatchObject({ queued: 3, sent: 0 });
    const e = r.json.sending.lastTemporaryError;
    expect(e.error).toContain('451 4.3.0 Temporary outage');
    expect(e.count).toBe(3);
    expect(e.at).toBe(t.clock.now().toISOString());
    expect(Date.parse(e.nextAttemptAt)).toBeGreaterThan(t.clock.now().getTime());
    expect(r.json.sending.reasons[0]).toMatch(
      /451 4\.3\.0 Temporary outage.*3 times, next attempt \d\d:\d\d:\d\d\./,
    );
    // What to do: a relay that answers is up and turns mail away; nothing is sent again by hand.
    expect(r.json.sending.reasons[0]).toMatch(
      /The relay is up and turns mail away for now .* Nothing needs sending again: the queue goes out within seconds of the relay accepting mail\.$/,
    );
    expect(r.json.sending.stalled).toBe(false);
    t.clock.advance(61_000);
    expect((await api(t, secret).get(`/api/admin/broadcasts/${id}`)).json.sending.stalled).toBe(
      true,
    );
    // Once the relay is back and the retry is due, the broadcast goes out.
    smtp.reject(null);
    t.clock.advance(3600_000);
    await testWorker(t).drain();
    const after = await api(t, secret).get(`/api/admin/broadcasts/${id}`);
    expect(after.json.broadcast).toMatchObject({ sent: 3, queued: 0, done: true });
    expect(after.json.sending.reasons).toEqual([]);
  });

  it('a relay Herald cannot reach is named as such, with what to check', async () => {
    // Nothing listens on this port: every connection is refused.
    const closed = await createTestContext({
      env: { SMTP_URL: `smtp://127.0.0.1:${await freePort()}` },
    });
    try {
      const token = (await makeToken(closed, 'responder')).secret;
      await makeConfirmedSubscriber(closed.deps, 'unreachable@example.org');
      const { incident } = await makeIncident(closed.deps, { priority: 0, title: 'unreachable' });
      const [b] = await readBroadcasts(closed.deps, { incidentId: incident.id });
      await testWorker(closed).drain();
      const r = await api(closed, token).get(`/api/admin/broadcasts/${b!.id}`);
      expect(r.json.sending.lastTemporaryError.error).toMatch(/ECONNREFUSED/);
      expect(r.json.sending.reasons[0]).toMatch(
        /Herald cannot reach the relay or talk to it: check that the server SMTP_URL names is running and that this machine may connect to it \(host, port, firewall, TLS\)\. Nothing needs sending again/,
      );
    } finally {
      await closed.close();
    }
  });

  it('shows deliveries held by a process that stopped, and when they are taken over', async () => {
    const id = await broadcast('orphan', 4);
    // A process claims them and dies: no heartbeat ever extends the lease.
    const claimedAt = t.clock.now().getTime();
    const claimed = await claimDeliveries(t.deps.db, t.clock.now(), 100, {
      ms: 15_000,
      owner: 'a process that dies',
    });
    expect(claimed).toHaveLength(4);
    const live = await api(t, secret).get(`/api/admin/broadcasts/${id}`);
    expect(live.json.sending.orphaned).toBeNull();
    t.clock.advance(10_000);
    const r = await api(t, secret).get(`/api/admin/broadcasts/${id}`);
    expect(r.json.sending.orphaned).toEqual({
      count: 4,
      takenAt: new Date(claimedAt + 15_000).toISOString(),
    });
    expect(r.json.sending.reasons.join(' ')).toMatch(
      /4 deliveries wait for a Herald process that stopped while sending; another process takes them over at \d\d:\d\d:\d\d/,
    );
    t.clock.advance(6_000);
    await testWorker(t).drain();
    expect((await api(t, secret).get(`/api/admin/broadcasts/${id}`)).json.broadcast).toMatchObject({
      sent: 4,
      queued: 0,
    });
  });

  it('says the messages are with a relay that has not answered, when a running process holds them and nothing was sent for a minute', async () => {
    const id = await broadcast('silent', 3);
    // The relay takes each message and keeps the connection open without answering.
    smtp.hold();
    const worker = createOutboxWorker(t.deps, { heartbeatMs: 20 });
    worker.start();
    try {
      await expect.poll(() => smtp.heldRecipients().length, { timeout: 30_000 }).toBe(3);
      const sending = async () =>
        (await api(t, secret).get(`/api/admin/broadcasts/${id}`)).json.sending;
      expect(await sending()).toMatchObject({ stalled: false, inFlight: 3, reasons: [] });
      t.clock.advance(61_000);
      // Once the heartbeat has kept the leases alive from the clock's new time, the rows are a
      // running process's: not a stopped one's to take over.
      await expect
        .poll(async () => (await sending()).inFlight, { timeout: 30_000, interval: 20 })
        .toBe(3);
      const s = await sending();
      expect(s).toMatchObject({ stalled: true, orphaned: null, lastTemporaryError: null });
      expect(s.reasons).toEqual([
        expect.stringMatching(
          /^3 messages are with a running Herald process, waiting for the mail relay to answer, and nothing was accepted for 61 s\. .*\?socketTimeout=/,
        ),
      ]);
      // The broadcast's admin page says it to a signed-in responder, and only to staff: a
      // visitor is sent to sign in, and the API wants a token.
      const site = await startSite(t);
      try {
        await makeUser(t, 'responder', 'rita@acme.com');
        const rita = new FormClient(site.base);
        await rita.login('rita@acme.com');
        const page = await rita.get(`/admin/broadcasts/${id}`);
        expect(page.res.status).toBe(200);
        expect(page.html).toContain('This broadcast has sent nothing for a minute.');
        expect(page.html).toMatch(
          /3 messages are with a running Herald process, waiting for the mail relay to answer/,
        );
        const visitor = await fetch(`${site.base}/admin/broadcasts/${id}`, { redirect: 'manual' });
        expect(visitor.status).toBe(303);
        expect(await visitor.text()).not.toMatch(/mail relay/);
        const anonymous = await fetch(`${site.base}/api/admin/broadcasts/${id}`);
        expect(anonymous.status).toBe(401);
        expect(await anonymous.text()).not.toMatch(/mail relay/);
      } finally {
        await site.close();
      }
    } finally {
      smtp.release();
      await worker.stop();
    }
    expect((await api(t, secret).get(`/api/admin/broadcasts/${id}`)).json.broadcast).toMatchObject({
      sent: 3,
      queued: 0,
    });
  });

  it('reports the sending rate of the last minute', async () => {
    const id = await broadcast('rate', 6);
    await testWorker(t).drain();
    const r = await api(t, secret).get(`/api/admin/broadcasts/${id}`);
    expect(r.json.sending.ratePerSecond).toBe(0.1);
    expect(r.json.sending.lastSentAt).toBe(t.clock.now().toISOString());
  });

  it('/healthz answers 503 when a due email has waited longer than HEALTH_MAX_QUEUE_DELAY_SECONDS', async () => {
    expect((await t.app.request('/healthz')).status).toBe(200);
    await broadcast('waiting', 1);
    t.clock.advance(181_000);
    const res = await t.app.request('/healthz');
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.outbox).toMatchObject({ status: 'stalled', limitSeconds: 180 });
    expect(body.outbox.oldestDueWaitSeconds).toBeGreaterThanOrEqual(181);
    expect(body.error.code).toBe('outbox_stalled');
    expect(body.database).toBe('ok');
    await testWorker(t).drain();
    expect((await t.app.request('/healthz')).status).toBe(200);
  });
});
