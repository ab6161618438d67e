import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import { readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { useRealClockMailContext } from '../helpers/outbox-fault-setup.ts';
import { expectUpdateThenAllClear, twoReaders } from '../helpers/reader-order.ts';

// A slow relay (one message takes more than half a lease) and a healthy database: every
// heartbeat lands. A row a sender has already taken (waiting for the one SMTP connection) is
// started only while its lease holds, and the heartbeats keep that lease as they keep the
// database's: the row is not handed back, and the reader's all-clear, claimed later, does not
// overtake their update.
describe('a slow relay with every heartbeat landing', { timeout: 60_000 }, () => {
  const ctx = useRealClockMailContext({ SMTP_MAX_CONNECTIONS: '1' });

  it('still reaches each reader with the update before its all-clear', async () => {
    const { t, smtp } = ctx;
    const [first, other] = await twoReaders(t);
    const { incident } = await makeIncident(t.deps, {
      priority: 1,
      title: 'Checkout errors',
      body: 'ORDER-1 We are investigating.',
    });
    const [update] = await readBroadcasts(t.deps, { incidentId: incident.id });
    const leaseOf = async (broadcastId: string) =>
      t.deps.db
        .select({ state: deliveries.state, leaseUntil: deliveries.leaseUntil })
        .from(deliveries)
        .where(eq(deliveries.broadcastId, broadcastId));
    // The relay is slow with the first reader's update: the other reader's update waits for the
    // one connection.
    smtp.holdFirst(first);
    const leaseMs = 2_000;
    const a = createOutboxWorker(t.deps, { leaseMs, heartbeatMs: 100 });
    a.start();
    try {
      await expect
        .poll(async () => (await leaseOf(update!.id)).every((d) => d.state === 'sending'), {
          timeout: 20_000,
          interval: 5,
        })
        .toBe(true);
      const claimedUntil = Math.min(
        ...(await leaseOf(update!.id)).map((d) => d.leaseUntil!.getTime()),
      );
      // The heartbeat keeps landing: wait until it has pushed the lease on past half a lease
      // after the claim (the database is free all along).
      await expect
        .poll(
          async () =>
            Math.min(...(await leaseOf(update!.id)).map((d) => d.leaseUntil!.getTime())) >
            claimedUntil + leaseMs / 2 + 100,
          { timeout: 20_000, interval: 20 },
        )
        .toBe(true);
      // The all-clear is published now and claimed at once.
      await resolveIncident(
        t.deps,
        { incidentId: incident.id, body: 'ORDER-2 All clear.' },
        testActor,
      );
      const all = await readBroadcasts(t.deps, { incidentId: incident.id });
      const allClear = all.find((b) => b.id !== update!.id)!;
      a.wake();
      await expect
        .poll(
          async () =>
            (
              await t.deps.db
                .select({ state: deliveries.state })
                .from(deliveries)
                .where(
                  and(
                    eq(deliveries.broadcastId, allClear.id),
                    inArray(deliveries.state, ['sending']),
                  ),
                )
            ).length,
          { timeout: 20_000, interval: 5 },
        )
        .toBe(2);
      // The relay answers the first reader's update.
      smtp.releaseFirst();
      await smtp.until(
        (mail) =>
          mail.filter((m) => m.to.includes(first)).length === 2 &&
          mail.filter((m) => m.to.includes(other)).length === 2,
      );
    } finally {
      smtp.releaseFirst();
      await a.stop();
    }
    expectUpdateThenAllClear(smtp, [first, other]);
  });
});
