import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { broadcasts } from '../../db/schema/index.ts';
import { DELIVERIES_PER_STATEMENT } from '../../server/domain/broadcasts/queue-deliveries.ts';
import { heraldBesideRelay } from '../helpers/herald-beside-relay.ts';
import { makeIncident } from '../helpers/factories.ts';
import { seedConfirmedSubscribers } from '../helpers/subscribers.ts';

// A large P0's recipients past the first slice are written by the delivery process, a slice per
// claim. Killed with -9 while it is still writing them, and started again by the server, it goes
// on from the broadcast's cursor: every recipient gets the P0 once, nobody twice, nobody never.
describe(
  'a delivery process killed while it writes a large broadcast',
  { timeout: 120_000 },
  () => {
    const w = heraldBesideRelay();
    const readers = 3 * DELIVERIES_PER_STATEMENT + 17;

    it('is started again, finishes the list from where it was and every reader gets exactly one email', async () => {
      await seedConfirmedSubscribers(w.t.deps, readers);
      // The relay reads the first messages and never answers them: the lane's first claim (a
      // handful) stays in flight, so it claims nothing more, and the fill stops after that claim's
      // slice, half done, with nothing accepted that a restart could send again.
      w.smtp.hang(true);
      const h = await w.start();
      const pid = h.deliveryPid();
      const { incident } = await makeIncident(w.t.deps, { priority: 0, title: 'Checkout is down' });
      const [b] = await w.t.deps.db
        .select()
        .from(broadcasts)
        .where(eq(broadcasts.incidentId, incident.id));
      const cursor = async () =>
        (
          await w.t.deps.db
            .select({ filled: broadcasts.filled, fillAfter: broadcasts.fillAfter })
            .from(broadcasts)
            .where(eq(broadcasts.id, b!.id))
        )[0]!;
      await expect
        .poll(() => w.smtp.rcpts().length, { timeout: 30_000, interval: 20 })
        .toBeGreaterThan(0);
      await expect
        .poll(async () => (await cursor()).filled, { timeout: 30_000, interval: 20 })
        .toBe(2 * DELIVERIES_PER_STATEMENT);
      expect((await cursor()).fillAfter).not.toBeNull();

      process.kill(pid, 'SIGKILL');
      w.smtp.hang(false);
      await h.waitFor(new RegExp(`pid ${pid}\\) stopped[\\s\\S]*delivery process runs \\(pid`));
      expect(h.deliveryPid()).not.toBe(pid);

      // The new process writes the rest and sends it all; what the killed one held comes back
      // when its lease runs out.
      await w.smtp.until((mail) => mail.length >= readers);
      await expect
        .poll(async () => (await w.states(b!.id)).filter((s) => s !== 'sent').length, {
          timeout: 60_000,
          interval: 100,
        })
        .toBe(0);
      expect(await cursor()).toEqual({ filled: readers, fillAfter: null });
      const to = w.smtp.received.map((m) => m.to[0]!);
      expect(to).toHaveLength(readers);
      expect(new Set(to).size).toBe(readers);
      expect(w.receivedAbout('Checkout is down')).toHaveLength(readers);
      h.signal('SIGTERM');
      expect(await h.exited).toBe(0);
    });
  },
);
