import { asc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { writeWait } from '../../db/client.ts';
import { broadcasts, deliveries } from '../../db/schema/index.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// The lane's graceful stop (server/delivery/README.md, "A graceful stop never doubles") at its
// hardest moment: its compose slots full with messages the relay has not answered, more claimed
// and waiting unstarted, and its claiming loop inside a claim that waits for another process's
// write lock. A real relay that holds its answers until the test lets them go, a real second
// process holding the lock, the real email channel.
describe('a graceful stop while another process holds the write lock', { timeout: 60_000 }, () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  it('hands the transport nothing more once stop() begins, not what waited unstarted nor what the claim waiting for the lock brings; all of it is pending again, unattempted, once the lock is let go, and goes once', async () => {
    const smtp: SmtpSink = await startSmtpSink();
    open.push(smtp);
    const t: TestContext = await createTestContext({
      env: {
        SMTP_URL: smtp.url,
        SMTP_MAX_CONNECTIONS: '2',
        // The claim waits for the lock as long as the test holds it, instead of giving up.
        DATABASE_WRITE_WAIT_SECONDS: '60',
      },
    });
    open.push(t);
    for (const n of [1, 2, 3, 4]) await makeConfirmedSubscriber(t.deps, `reader${n}@example.org`);
    const broadcastOf = async (incidentId: string) => {
      const [b] = await t.deps.db
        .select()
        .from(broadcasts)
        .where(eq(broadcasts.incidentId, incidentId));
      return b!.id;
    };
    const first = await broadcastOf((await makeIncident(t.deps, { priority: 0 })).incident.id);
    const second = await broadcastOf((await makeIncident(t.deps, { priority: 0 })).incident.id);
    // The second broadcast's copies fall due a minute later: the claim that takes them starts
    // once the test has the lock.
    await t.deps.db
      .update(deliveries)
      .set({ nextAttemptAt: new Date(t.clock.now().getTime() + 60_000) })
      .where(eq(deliveries.broadcastId, second));
    const rowsOf = (broadcastId: string) =>
      t.deps.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.broadcastId, broadcastId))
        .orderBy(asc(deliveries.id));

    smtp.hold();
    // Two compose slots; leases and heartbeat far beyond the test, so the only write this
    // process attempts while the lock is held is the claim (and, after stop(), the records).
    const worker = createOutboxWorker(t.deps, {
      composeAhead: 2,
      idleMs: 10,
      leaseMs: 600_000,
      heartbeatMs: 600_000,
    });
    worker.start();
    // The first broadcast's four copies claimed: two at the relay, two waiting unstarted.
    await expect.poll(() => smtp.heldRecipients().length).toBe(2);
    expect(worker.inFlight()).toBe(4);

    const lock = await holdWriteLock(t.dbUrl, 'until-released');
    let stopping: ReturnType<typeof worker.stop> | null = null;
    try {
      t.clock.advance(61_000);
      // The claiming loop finds the second broadcast due and waits for the lock to claim it.
      await expect.poll(() => writeWait(t.deps.db)?.fault ?? null).toBe('busy');
      stopping = worker.stop();
      // The relay answers the two it holds: their compose slots free up, and take nothing more.
      smtp.release();
      await smtp.until((mail) => mail.length === 2);
      // The lock is still held: the outcomes, the hand-back included, wait for it like every
      // write (the rows read `sending`); what the stop promises meanwhile is that nothing more
      // goes to the relay.
      expect((await rowsOf(first)).map((d) => d.state)).toEqual([
        'sending',
        'sending',
        'sending',
        'sending',
      ]);
    } finally {
      lock.release();
      await lock.released;
    }
    // The claim lands once the lock is let go; what it took is handed back unsent too.
    const report = await stopping;
    expect(smtp.rcpts()).toHaveLength(2);
    expect(report).toEqual({ handedBack: 6, finished: 2, unrecorded: 0 });

    const firstRows = await rowsOf(first);
    const secondRows = await rowsOf(second);
    expect(firstRows.filter((d) => d.state === 'sent')).toHaveLength(2);
    for (const d of [...firstRows.filter((d) => d.state !== 'sent'), ...secondRows])
      expect({ state: d.state, attempts: d.attempts, leaseUntil: d.leaseUntil }).toEqual({
        state: 'pending',
        attempts: 0,
        leaseUntil: null,
      });

    // The next run sends the six handed back, each once; nothing goes twice.
    expect(await testWorker(t).drain()).toBe(6);
    const ids = smtp.received.map((m) => m.header('message-id'));
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
  });
});
