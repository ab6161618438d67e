import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries, subscribers } from '../../db/schema/index.ts';
import { readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// server/delivery/README.md, "Order per receiver": an update and its all-clear reach each reader
// in that order. address-order-lease-short.test.ts covers two readers, where the all-clear
// already waits behind the update inside the channel. With more readers than compose lanes (4 per
// SMTP connection), the all-clears wait in the lane's queue instead: when the update's lease runs
// short (something holds the write lock for 3 s) and it is handed back, the all-clear behind it
// must be handed back too, not go first.
describe(
  'an update handed back while its all-clear waits in the lane queue',
  { timeout: 60_000 },
  () => {
    let t: TestContext;
    let smtp: SmtpSink;
    beforeAll(async () => {
      smtp = await startSmtpSink();
      t = await createTestContext({ env: { SMTP_URL: smtp.url, SMTP_MAX_CONNECTIONS: '1' } });
    });
    afterAll(async () => {
      await t.close();
      await smtp.close();
    });

    it('still reaches every reader before its all-clear (five readers, one connection)', async () => {
      for (const who of ['ann', 'bob', 'cat', 'dan', 'eve'])
        await makeConfirmedSubscriber(t.deps, `${who}@example.org`, 'customers');
      const readers = (await t.deps.db.select().from(subscribers).orderBy(asc(subscribers.id))).map(
        (s) => s.email,
      );
      const first = readers[0]!;
      const last = readers.at(-1)!;
      const { incident } = await makeIncident(t.deps, {
        priority: 1,
        title: 'Checkout errors',
        body: 'ORDER-1 We are investigating.',
      });
      const [update] = await readBroadcasts(t.deps, { incidentId: incident.id });
      const rows = (broadcastId: string) =>
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
        const t0 = t.clock.now().getTime();
        t.clock.advance(1);
        await expect
          .poll(() => leaseOf(update!.id, last), { timeout: 20_000, interval: 5 })
          .toBe(t0 + 1 + 15_000);
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
        const lock = await holdWriteLock(t.dbUrl, 3_000);
        // 8 s after the update's claim: 7 s of its lease left (under half), 12 s of the all-clear's.
        t.clock.advance(3_000);
        smtp.releaseFirst();
        await lock.released;
        await smtp.until((mail) =>
          readers.every((r) => mail.filter((m) => m.to.includes(r)).length === 2),
        );
      } finally {
        smtp.releaseFirst();
        await a.stop();
      }
      const seen = Object.fromEntries(
        readers.map((who) => [
          who,
          smtp.to(who).map((m) => /ORDER-\d/.exec(m.parsed.text ?? '')?.[0]),
        ]),
      );
      expect(seen).toEqual(Object.fromEntries(readers.map((who) => [who, ['ORDER-1', 'ORDER-2']])));
    });
  },
);
