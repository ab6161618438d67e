import { and, eq, gt, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import { readBroadcast, readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { startTcpGate } from '../helpers/tcp-gate.ts';

// A relay that refuses for a while (451, then connection refused) and comes back: the outbox
// stops sending it new rows, probes it one message at a time, and the first success releases
// every row that met the outage. Without the release, each row waits out its own backoff
// (30 s doubling), so the broadcast finished about a minute after the relay was back.
describe('a relay that comes back is used at once', { timeout: 120_000 }, () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let gate: Awaited<ReturnType<typeof startTcpGate>>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    gate = await startTcpGate(smtp.port);
    t = await createTestContext({
      clock: systemClock,
      env: { SMTP_URL: `smtp://127.0.0.1:${gate.port}`, SMTP_MAX_CONNECTIONS: '2' },
    });
  });
  afterAll(async () => {
    await t.close();
    await gate.close();
    await smtp.close();
  });

  async function withError(broadcastId: string, pattern: string) {
    const rows = await t.deps.db
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(eq(deliveries.broadcastId, broadcastId), like(deliveries.lastError, pattern)));
    return rows.length;
  }

  it('after 451s and refused connections, every recipient gets the P0 once, and the outage cost few attempts', async () => {
    const emails = Array.from({ length: 300 }, (_, i) => `outage${i}@example.net`);
    for (const e of emails) await makeConfirmedSubscriber(t.deps, e);
    smtp.reject(() => ({ code: 451, message: '4.3.2 try again later' }));
    // Probes at most a second apart (4 s by default): the first success after the relay is back
    // comes within a second of it, and the test waits for that, not for a long pause.
    // Each row's own backoff is ten minutes, so a row sent before it was released by the probe's
    // success however slowly a busy machine runs this test (with the default 30 s, a row first
    // refused early could come due by itself during a slow run).
    const worker = createOutboxWorker(t.deps, { probeMaxMs: 1000, baseBackoffMs: 600_000 });
    worker.start();
    try {
      const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Relay outage' });
      const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
      const id = b!.id;
      await expect.poll(() => withError(id, '%451%'), { timeout: 30_000 }).toBeGreaterThan(0);
      await gate.shut();
      await expect
        .poll(() => withError(id, '%ECONNREFUSED%'), { timeout: 30_000 })
        .toBeGreaterThan(0);
      // Only now: a message whose session the shut cut must still meet the 451, or the relay
      // would keep a message whose answer never reached Herald (SMTP's own ambiguity).
      smtp.reject(null);
      // While the relay was down it got probes, not the broadcast.
      const attempted = await t.deps.db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(and(eq(deliveries.broadcastId, id), gt(deliveries.attempts, 0)));
      expect(attempted.length).toBeLessThan(40);
      // When each row that met the outage would be retried by its own backoff.
      const ownRetry = new Map(
        (
          await t.deps.db
            .select({ id: deliveries.id, at: deliveries.nextAttemptAt })
            .from(deliveries)
            .where(
              and(
                eq(deliveries.broadcastId, id),
                eq(deliveries.state, 'pending'),
                gt(deliveries.attempts, 0),
              ),
            )
        ).map((r) => [r.id, r.at.getTime()]),
      );
      expect(ownRetry.size).toBeGreaterThan(0);
      await gate.open();
      // Each row's own backoff (ten minutes, doubled) is far beyond this wait: only the release
      // after the first success can finish the broadcast in it.
      await expect
        .poll(async () => (await readBroadcast(t.deps, id)).broadcast.done, {
          timeout: 60_000,
          interval: 100,
        })
        .toBe(true);
      const got = smtp.received.map((m) => m.to[0]!).filter((a) => a.startsWith('outage'));
      expect(got.filter((a, i) => got.indexOf(a) !== i)).toEqual([]);
      expect(new Set(got)).toEqual(new Set(emails));
      expect((await readBroadcast(t.deps, id)).broadcast).toMatchObject({ sent: 300, failed: 0 });
      // Released by the first success, not by their own backoff.
      const sent = await t.deps.db
        .select({ id: deliveries.id, at: deliveries.sentAt })
        .from(deliveries)
        .where(eq(deliveries.broadcastId, id));
      for (const r of sent)
        if (ownRetry.has(r.id)) expect(r.at!.getTime()).toBeLessThan(ownRetry.get(r.id)!);
    } finally {
      await worker.stop();
    }
  });
});
