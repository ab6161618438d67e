import { and, count, eq, gt } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import { readBroadcast, readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { captureLog } from '../helpers/capture-log.ts';
import { makeIncident } from '../helpers/factories.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { liveLeases, useRealClockMailContext } from '../helpers/outbox-fault-setup.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// One Herald process (the default deployment) and a write lock held longer than the lease by
// something else (a VACUUM). When the lock goes, the heartbeat lands late: what waited unsent
// under the lease that ran out is handed back (pending again), not left under a lease of this
// lane's name that nobody holds, which would keep it from every process, this one included,
// for a whole lease (15 s in production).
describe('a lone process after a write lock longer than the lease', { timeout: 120_000 }, () => {
  const ctx = useRealClockMailContext({
    SMTP_MAX_CONNECTIONS: '2',
    DATABASE_WRITE_WAIT_SECONDS: '0.3',
  });

  it('leaves no delivery leased to a process that no longer holds it', async () => {
    const { t, smtp } = ctx;
    for (let i = 0; i < 10; i++) await makeConfirmedSubscriber(t.deps, `parked${i}@example.net`);
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Lock then lease' });
    const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
    const log = captureLog();
    const logged = (text: string) => log.lines.some((l) => l.includes(text));
    smtp.hold();
    const a = createOutboxWorker({ ...t.deps, log }, { leaseMs: 2_000, heartbeatMs: 200 });
    a.start();
    let lock: Awaited<ReturnType<typeof holdWriteLock>> | undefined;
    try {
      await expect
        .poll(() => smtp.heldRecipients().length, { timeout: 30_000, interval: 5 })
        .toBe(2);
      lock = await holdWriteLock(t.dbUrl, 'until-released');
      await expect
        .poll(() => logged('could not extend leases'), { timeout: 30_000, interval: 20 })
        .toBe(true);
      await expect.poll(() => liveLeases(t, b!.id), { timeout: 30_000, interval: 50 }).toBe(0);
      lock.release();
      await lock.released;
      // The first heartbeat after the lock lands and hands back what waited unsent.
      await expect
        .poll(() => logged('handed back unsent'), { timeout: 30_000, interval: 5 })
        .toBe(true);
      // The relay still holds its two replies: nothing this process holds is recorded yet.
      const held = a.inFlight();
      const [leased] = await t.deps.db
        .select({ n: count() })
        .from(deliveries)
        .where(
          and(
            eq(deliveries.broadcastId, b!.id),
            eq(deliveries.state, 'sending'),
            gt(deliveries.leaseUntil, new Date()),
          ),
        );
      expect(leased!.n).toBeLessThanOrEqual(held);
      smtp.release();
      await expect
        .poll(async () => (await readBroadcast(t.deps, b!.id)).broadcast.done, {
          timeout: 60_000,
          interval: 50,
        })
        .toBe(true);
    } finally {
      smtp.release();
      lock?.release();
      await a.stop();
    }
  });
});
