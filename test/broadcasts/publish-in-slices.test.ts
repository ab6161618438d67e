import { asc, desc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcasts, deliveries, subscribers } from '../../db/schema/index.ts';
import {
  readBroadcast,
  readStalledBroadcasts,
  STALL_MS,
} from '../../server/domain/broadcasts/broadcast-admin.ts';
import { DELIVERIES_PER_STATEMENT } from '../../server/domain/broadcasts/queue-deliveries.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { seedConfirmedSubscribers } from '../helpers/subscribers.ts';

// A P0 to a large list: the publish writes the first slice of deliveries and a fill cursor, the
// email lane's claims write the rest, a slice each, in their own short transactions, so the
// publishing process commits at once and the first emails go out while the rest is written
// (one transaction for every recipient held the server still: 0.46 s in its COMMIT alone at a
// million, with nothing sent for 3.1 s; `npm run bench:broadcast` prints the publish).

/** Whether the broadcast's deliveries are still being written. */
async function filling(t: TestContext, broadcastId: string): Promise<boolean> {
  const [b] = await t.deps.db
    .select({ fillAfter: broadcasts.fillAfter })
    .from(broadcasts)
    .where(eq(broadcasts.id, broadcastId));
  return b!.fillAfter !== null;
}

/** Runs the email lane a claim at a time (each claim writes one slice) until the fill is over. */
async function laneFills(t: TestContext, broadcastId: string): Promise<number> {
  const { worker } = testWorker(t);
  let steps = 0;
  while (await filling(t, broadcastId)) {
    await worker.runOnce(1);
    steps += 1;
  }
  return steps;
}

describe('publishing to more recipients than one statement writes', () => {
  let t: TestContext;
  const seeded = 3 * DELIVERIES_PER_STATEMENT + 57;
  // Every 100th of the first 4,000 never confirmed; the last 17 of those confirm after the publish.
  const unconfirmed = 40;
  beforeAll(async () => {
    t = await createTestContext();
    // Random ids interleave the unconfirmed ones with the rest.
    await t.deps.db.run(sql`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${seeded})
      INSERT INTO subscribers (id, list_id, email, state, component_ids, manage_token_hash, source, created_at, confirmed_at, updated_at)
      SELECT lower(hex(randomblob(8))), (SELECT id FROM lists WHERE slug = 'customers'), 'reader' || i || '@example.net',
             CASE WHEN i % 100 = 0 AND i <= 4000 THEN 'pending' ELSE 'confirmed' END, NULL,
             lower(hex(randomblob(32))), 'test', 0,
             CASE WHEN i % 100 = 0 AND i <= 4000 THEN NULL ELSE 0 END, 0
      FROM n`);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('commits the first slice at once and the email lane writes every other confirmed subscriber once, numbered in order, leaving out those who confirm or leave after the publish', async () => {
    const confirmed = seeded - unconfirmed;
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Website is down' });
    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    expect(b!.total).toBe(confirmed);
    expect(await t.deps.db.$count(deliveries, eq(deliveries.broadcastId, b!.id))).toBe(
      DELIVERIES_PER_STATEMENT,
    );
    // The admin and the API show it under way, the recipients yet to be written among the queued.
    const before = (await readBroadcast(t.deps, b!.id)).broadcast;
    expect(before).toMatchObject({
      total: confirmed,
      queued: confirmed,
      toWrite: confirmed - DELIVERIES_PER_STATEMENT,
      done: false,
    });

    // After the publish: the ones who never confirmed do (they were not recipients when it was
    // published), and the confirmed subscriber with the highest id (whose slice comes last)
    // leaves.
    t.clock.advance(60_000);
    await t.deps.db
      .update(subscribers)
      .set({ state: 'confirmed', confirmedAt: t.clock.now() })
      .where(eq(subscribers.state, 'pending'));
    const [leaver] = await t.deps.db
      .select({ id: subscribers.id })
      .from(subscribers)
      .where(eq(subscribers.confirmedAt, new Date(0)))
      .orderBy(desc(subscribers.id))
      .limit(1);
    await t.deps.db
      .update(subscribers)
      .set({ state: 'unsubscribed', unsubscribedAt: t.clock.now() })
      .where(eq(subscribers.id, leaver!.id));

    const steps = await laneFills(t, b!.id);
    expect(steps).toBeGreaterThanOrEqual(Math.ceil(confirmed / DELIVERIES_PER_STATEMENT) - 1);

    const rows = await t.deps.db
      .select({
        id: deliveries.id,
        subscriberId: deliveries.subscriberId,
        confirmedAt: subscribers.confirmedAt,
      })
      .from(deliveries)
      .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
      .where(eq(deliveries.broadcastId, b!.id))
      .orderBy(asc(deliveries.id));
    const reached = confirmed - 1;
    expect(rows).toHaveLength(reached);
    // Only those confirmed when it was published, and not the one who left.
    expect(rows.every((r) => r.confirmedAt?.getTime() === 0)).toBe(true);
    expect(rows.some((r) => r.subscriberId === leaver!.id)).toBe(false);
    expect(new Set(rows.map((r) => r.subscriberId)).size).toBe(reached);
    // Numbered 1..N without a gap across slices, in subscriber-id order.
    expect(rows.map((r) => r.id)).toEqual(
      Array.from({ length: reached }, (_, i) => `${b!.id}-${String(i + 1).padStart(7, '0')}`),
    );
    const bySubscriber = rows.map((r) => r.subscriberId);
    expect(bySubscriber).toEqual([...bySubscriber].sort());
    // Written whole: the total is what was queued, and the lane has nothing more to write.
    const after = (await readBroadcast(t.deps, b!.id)).broadcast;
    expect(after).toMatchObject({ total: reached, toWrite: 0 });
    expect(after.queued + after.sent + after.skipped + after.failed).toBe(reached);
    expect(await filling(t, b!.id)).toBe(false);
  });
});

describe('a large broadcast whose written deliveries have all gone out', () => {
  let t: TestContext;
  const confirmed = 2 * DELIVERIES_PER_STATEMENT + 3;
  beforeAll(async () => {
    t = await createTestContext();
    await seedConfirmedSubscribers(t.deps, confirmed);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is neither finished nor forgotten: the admin shows it sending, then stalled, and the lane still writes the rest', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Website is down' });
    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    // As if the first slice had gone out before the lane wrote the next: nothing pending.
    await t.deps.db
      .update(deliveries)
      .set({ state: 'sent', sentAt: t.clock.now() })
      .where(eq(deliveries.broadcastId, b!.id));
    const shown = (await readBroadcast(t.deps, b!.id)).broadcast;
    expect(shown).toMatchObject({
      sent: DELIVERIES_PER_STATEMENT,
      queued: confirmed - DELIVERIES_PER_STATEMENT,
      done: false,
    });
    // Nothing sent for a minute (no delivery process running): stalled, said so on the dashboard.
    t.clock.advance(STALL_MS);
    expect((await readStalledBroadcasts(t.deps)).map((s) => s.broadcast.id)).toEqual([b!.id]);

    // The lane's check for work sees the broadcast being filled, though no row is due.
    const { worker } = testWorker(t);
    expect(await worker.runOnce(1)).toBe(1);
    const [after] = await t.deps.db
      .select({ filled: broadcasts.filled })
      .from(broadcasts)
      .where(eq(broadcasts.id, b!.id));
    expect(after!.filled).toBe(2 * DELIVERIES_PER_STATEMENT);
    await laneFills(t, b!.id);
    expect(await t.deps.db.$count(deliveries, eq(deliveries.broadcastId, b!.id))).toBe(confirmed);
  });
});

describe('publishing an incident on one component to more recipients than one statement writes', () => {
  let t: TestContext;
  const seeded = 3 * DELIVERIES_PER_STATEMENT + 31;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reaches, in every slice, those who chose that component or none, and nobody who chose only another', async () => {
    const cards = await makeComponent(t.deps, { name: 'Cards' });
    const search = await makeComponent(t.deps, { name: 'Search' });
    // A third chose only Search, a third only Cards, a third chose nothing (every component).
    await t.deps.db.run(sql`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${seeded})
      INSERT INTO subscribers (id, list_id, email, state, component_ids, manage_token_hash, source, created_at, confirmed_at, updated_at)
      SELECT lower(hex(randomblob(8))), (SELECT id FROM lists WHERE slug = 'customers'), 'reader' || i || '@example.net', 'confirmed',
             CASE i % 3 WHEN 0 THEN json_array(${search.id}) WHEN 1 THEN json_array(${cards.id}) ELSE NULL END,
             lower(hex(randomblob(32))), 'test', 0, 0, 0
      FROM n`);
    const { incident } = await makeIncident(t.deps, {
      priority: 0,
      title: 'Card payments fail',
      components: [{ componentId: cards.id, status: 'major_outage' }],
    });
    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    await laneFills(t, b!.id);
    const reached = await t.deps.db
      .select({ componentIds: subscribers.componentIds })
      .from(deliveries)
      .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
      .where(eq(deliveries.broadcastId, b!.id));
    const searchOnly = Math.floor(seeded / 3);
    expect(reached).toHaveLength(seeded - searchOnly);
    expect(b!.total).toBe(seeded - searchOnly);
    expect(await filling(t, b!.id)).toBe(false);
    expect(
      reached.some((r) => JSON.stringify(r.componentIds) === JSON.stringify([search.id])),
    ).toBe(false);
  });
});
