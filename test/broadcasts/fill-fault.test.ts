import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcasts, deliveries } from '../../db/schema/index.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { DELIVERIES_PER_STATEMENT } from '../../server/domain/broadcasts/queue-deliveries.ts';
import type { Logger } from '../../server/logger.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { seedConfirmedSubscribers } from '../helpers/subscribers.ts';

// The email lane claims first and writes a large broadcast's next slice after (so what is due
// goes out first). A slice that cannot be written (here the database refuses every new delivery
// row, as a full disk would) must not cost the claim made just before it: those rows were this
// process's and go out, and the next claim writes the slice again.
describe('a large broadcast whose next slice cannot be written', () => {
  let t: TestContext;
  const seeded = DELIVERIES_PER_STATEMENT + 25;
  beforeAll(async () => {
    t = await createTestContext();
    await seedConfirmedSubscribers(t.deps, seeded, 'slice');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('still sends and records what the claim took, logs the failure once, and writes the slice when it can', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Slices refused' });
    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    const states = async () => {
      const rows = await t.deps.db
        .select({ state: deliveries.state })
        .from(deliveries)
        .where(eq(deliveries.broadcastId, b!.id));
      const count: Record<string, number> = {};
      for (const r of rows) count[r.state] = (count[r.state] ?? 0) + 1;
      return count;
    };
    expect(await states()).toEqual({ pending: DELIVERIES_PER_STATEMENT });

    await t.deps.db.run(sql`
      CREATE TRIGGER refuse_deliveries BEFORE INSERT ON deliveries
      BEGIN SELECT RAISE(ABORT, 'no room for new deliveries'); END`);
    const errors: string[] = [];
    const log: Logger = { error: (m) => void errors.push(m), info: () => {}, debug: () => {} };
    const worker = createOutboxWorker({ ...t.deps, log }, { random: () => 0.5 });
    expect(await worker.runOnce(100)).toBe(100);
    expect(await worker.runOnce(100)).toBe(100);
    expect(await states()).toEqual({ sent: 200, pending: DELIVERIES_PER_STATEMENT - 200 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/could not write a large broadcast's next recipients yet/);

    await t.deps.db.run(sql`DROP TRIGGER refuse_deliveries`);
    for (let n = await worker.runOnce(); n > 0; n = await worker.runOnce());
    expect(await states()).toEqual({ sent: seeded });
    const [after] = await t.deps.db.select().from(broadcasts).where(eq(broadcasts.id, b!.id));
    expect(after!.fillAfter).toBeNull();
    expect(after!.total).toBe(seeded);
  });
});
