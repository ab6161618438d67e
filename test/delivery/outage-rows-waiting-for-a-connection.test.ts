import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import { readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { makeIncident } from '../helpers/factories.ts';
import { useRealClockMailContext } from '../helpers/outbox-fault-setup.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// docs/delivery.md, "When the relay or a receiver is down": on a refusal for now "Herald stops
// handing it the broadcast: the messages it had claimed go back to the queue at once, and it
// sends one message at a time as a probe"; README "A relay that refuses": "the rows waiting in
// the lane's queue are handed back (pending again, the attempt not counted)". With the default
// compose lanes (4 per SMTP connection), three claimed messages per connection wait in Herald's
// own pool for the connection when the refusal comes. They are not handed back: each is handed
// to the refusing relay in turn, after the outage began and before any probe, and each refusal
// costs that message one of its eight attempts and its own backoff.
describe(
  'a relay that refuses while claimed messages wait for its connection',
  { timeout: 60_000 },
  () => {
    const ctx = useRealClockMailContext({ SMTP_MAX_CONNECTIONS: '1' });

    it('hands the relay nothing more once it refused, until the probe', async () => {
      const { t, smtp } = ctx;
      for (let i = 0; i < 6; i++) await makeConfirmedSubscriber(t.deps, `refused${i}@example.net`);
      const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Relay refuses' });
      const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
      smtp.reject(() => ({ code: 451, message: 'Try again later' }));
      // No probe within the test: only what the outage's start does is seen.
      const a = createOutboxWorker(t.deps, { probeBaseMs: 600_000, probeMaxMs: 600_000 });
      a.start();
      try {
        await expect
          .poll(() => smtp.rcpts().length, { timeout: 30_000, interval: 5 })
          .toBeGreaterThan(0);
        await expect.poll(() => a.inFlight(), { timeout: 30_000, interval: 5 }).toBe(0);
      } finally {
        await a.stop();
      }
      const rows = await t.deps.db
        .select({ attempts: deliveries.attempts })
        .from(deliveries)
        .where(eq(deliveries.broadcastId, b!.id));
      expect({
        handedToTheRelay: smtp.rcpts().filter((r) => r.startsWith('refused')).length,
        attemptsCounted: rows.filter((r) => r.attempts > 0).length,
      }).toEqual({ handedToTheRelay: 1, attemptsCounted: 1 });
    });
  },
);
