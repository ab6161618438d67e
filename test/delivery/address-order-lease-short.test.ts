import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveries, subscribers } from '../../db/schema/index.ts';
import { readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.ts';
import { expectUpdateThenAllClear, readersInQueueOrder } from '../helpers/reader-order.ts';

// server/delivery/README.md, "Order per receiver": "One address's emails go one at a time, in
// claim order ... an update and its all-clear that wait together ... are not sent side by side,
// so the all-clear cannot overtake the update on the way to the relay."
//
// A slow relay (the one SMTP connection busy with another reader's update), production's lease
// (15 s) and heartbeat (3 s). The reader's update waits for the connection under the first
// claim's lease; the all-clear, published 5 s later, waits behind it (`inTurn`) under the second
// claim's lease, 5 s longer. Then another process holds the write lock for a few seconds (a
// VACUUM): no heartbeat lands. When the connection frees, the update has less than half its
// lease left and the all-clear more: `mayStart` says no to the update, which is handed back
// (pending), and yes to the all-clear, which goes at once. The update follows once re-claimed.
// The manual clock stands for the seconds that pass without a heartbeat landing.
//
// With five readers (more than the connection's four compose lanes) the all-clears of the last
// ones wait in the lane's queue, not inside the channel: they must be handed back too, not go
// before the update.
describe(
  'an update waiting for the connection when its lease runs short',
  { timeout: 60_000 },
  () => {
    let t: TestContext;
    let smtp: SmtpSink;
    // Each case on its own database and relay.
    beforeEach(async () => {
      smtp = await startSmtpSink();
      t = await createTestContext({ env: { SMTP_URL: smtp.url, SMTP_MAX_CONNECTIONS: '1' } });
    });
    afterEach(async () => {
      await t.close();
      await smtp.close();
    });

    async function updateHandedBackBeforeAllClear(names: string[]) {
      const readers = await readersInQueueOrder(t, names);
      const first = readers[0]!;
      const other = readers.at(-1)!;
      const { incident } = await makeIncident(t.deps, {
        priority: 1,
        title: 'Checkout errors',
        body: 'ORDER-1 We are investigating.',
      });
      const [update] = await readBroadcasts(t.deps, { incidentId: incident.id });
      const rows = async (broadcastId: string) =>
        t.deps.db
          .select({
            state: deliveries.state,
            leaseUntil: deliveries.leaseUntil,
            email: subscribers.email,
          })
          .from(deliveries)
          .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
          .where(eq(deliveries.broadcastId, broadcastId));
      const leaseOf = async (broadcastId: string, email: string) =>
        (await rows(broadcastId)).find((r) => r.email === email)!.leaseUntil!.getTime();
      // The relay is slow with the first reader's update; the other reader's waits for the one
      // connection.
      smtp.holdFirst(first);
      const a = createOutboxWorker(t.deps);
      a.start();
      try {
        await expect
          .poll(async () => (await rows(update!.id)).every((d) => d.state === 'sending'), {
            timeout: 20_000,
            interval: 5,
          })
          .toBe(true);
        await expect.poll(() => smtp.rcpts().includes(first), { timeout: 20_000 }).toBe(true);
        // Wait for a heartbeat to land (the clock moved by 1 ms shows in the lease it writes), so
        // the next one is 3 s away.
        const t0 = t.clock.now().getTime();
        t.clock.advance(1);
        await expect
          .poll(() => leaseOf(update!.id, other), { timeout: 20_000, interval: 5 })
          .toBe(t0 + 1 + 15_000);
        // 5 s later the all-clear is published and claimed.
        t.clock.advance(5_000);
        await resolveIncident(
          t.deps,
          { incidentId: incident.id, body: 'ORDER-2 All clear.' },
          testActor,
        );
        const allClear = (await readBroadcasts(t.deps, { incidentId: incident.id })).find(
          (b) => b.id !== update!.id,
        )!;
        a.wake();
        await expect
          .poll(async () => (await rows(allClear.id)).every((d) => d.state === 'sending'), {
            timeout: 20_000,
            interval: 5,
          })
          .toBe(true);
        // Another process holds the write lock for 3 s: no heartbeat lands meanwhile.
        const lock = await holdWriteLock(t.dbUrl, 3_000);
        // No heartbeat landed between the two claims (the next one meets the lock).
        expect(await leaseOf(update!.id, other)).toBe(t0 + 1 + 15_000);
        expect(await leaseOf(allClear.id, other)).toBe(t0 + 1 + 5_000 + 15_000);
        // 8 s after the first claim: the update has 7 s of its lease left, the all-clear 12 s.
        t.clock.advance(3_000);
        // The relay answers the first reader's update: the connection is free.
        smtp.releaseFirst();
        await lock.released;
        await smtp.until((mail) =>
          readers.every((r) => mail.filter((m) => m.to.includes(r)).length === 2),
        );
      } finally {
        smtp.releaseFirst();
        await a.stop();
      }
      expectUpdateThenAllClear(smtp, readers);
    }

    it('still reaches the reader before its all-clear', () =>
      updateHandedBackBeforeAllClear(['ann', 'bob']));

    it('still reaches each reader before the all-clear waiting in the lane queue', () =>
      updateHandedBackBeforeAllClear(['cat', 'dan', 'eve', 'fay', 'gus']));
  },
);
