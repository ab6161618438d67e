import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import { readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { makeIncident } from '../helpers/factories.ts';
import { useRealClockMailContext } from '../helpers/outbox-fault-setup.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// docs/delivery.md, "Stopping Herald (SIGTERM)": Herald "lets every message already handed to
// the SMTP relay ... get its answer" and "hands back what it had claimed but not started, at
// once: none of it goes to the relay or a receiver after the stop began". With the default
// compose lanes (4 per SMTP connection) a slow relay has one message per connection on the wire
// and three more claimed rows per connection waiting in Herald's own pool for that connection.
// Those have not been handed to the relay, yet the stop lets them go to it one after another.
describe(
  'SIGTERM while claimed messages wait for the one SMTP connection',
  { timeout: 60_000 },
  () => {
    const ctx = useRealClockMailContext({ SMTP_MAX_CONNECTIONS: '1' });

    it('sends nothing to the relay after the stop began but what the relay already had', async () => {
      const { t, smtp } = ctx;
      const emails = Array.from({ length: 6 }, (_, i) => `waiting${i}@example.net`);
      for (const e of emails) await makeConfirmedSubscriber(t.deps, e);
      const { incident } = await makeIncident(t.deps, {
        priority: 0,
        title: 'Stop with a slow relay',
      });
      const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
      // The relay holds its reply to the first message: the others wait for the connection.
      smtp.hold();
      const a = createOutboxWorker(t.deps);
      a.start();
      let stopped: ReturnType<typeof a.stop> | undefined;
      try {
        await expect
          .poll(() => smtp.heldRecipients().length, { timeout: 30_000, interval: 5 })
          .toBe(1);
        await expect.poll(() => a.inFlight(), { timeout: 30_000, interval: 5 }).toBe(6);
        const withTheRelay = smtp.heldRecipients();
        // SIGTERM: the delivery process calls stop(); the relay then answers what it has.
        stopped = a.stop();
        smtp.release();
        await stopped;
        const got = smtp.received.map((m) => m.to[0]!).filter((r) => r.startsWith('waiting'));
        const pending = await t.deps.db
          .select({ id: deliveries.id })
          .from(deliveries)
          .where(and(eq(deliveries.broadcastId, b!.id), eq(deliveries.state, 'pending')));
        expect({
          sentAfterStop: got,
          pending: pending.length,
        }).toEqual({
          sentAfterStop: withTheRelay,
          pending: 5,
        });
      } finally {
        smtp.release();
        if (!stopped) await a.stop();
      }
    });
  },
);
