import { describe, expect, it } from 'vitest';
import { readBroadcast } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { captureLog } from '../helpers/capture-log.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import {
  broadcastFor,
  liveLeases,
  useRealClockMailContext,
} from '../helpers/outbox-fault-setup.ts';

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
    const emails = Array.from({ length: 10 }, (_, i) => `parked${i}@example.net`);
    const id = await broadcastFor(t, 'Lock then lease', emails);
    const log = captureLog();
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
        .poll(() => log.has('could not extend leases'), { timeout: 30_000, interval: 20 })
        .toBe(true);
      await expect.poll(() => liveLeases(t, id), { timeout: 30_000, interval: 50 }).toBe(0);
      lock.release();
      await lock.released;
      // The first heartbeat after the lock lands and hands back what waited unsent.
      await expect
        .poll(() => log.has('handed back unsent'), { timeout: 30_000, interval: 5 })
        .toBe(true);
      // The relay still holds its two replies: nothing this process holds is recorded yet.
      const held = a.inFlight();
      expect(await liveLeases(t, id)).toBeLessThanOrEqual(held);
      smtp.release();
      await expect
        .poll(async () => (await readBroadcast(t.deps, id)).broadcast.done, {
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
