import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcasts, deliveries, subscribers } from '../../db/schema/index.ts';
import { DELIVERIES_PER_STATEMENT } from '../../server/domain/broadcasts/queue-deliveries.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

// A P0 to a large list writes its deliveries in slices with a turn of the event loop between
// them, so the process that publishes keeps answering the status page, feeds and heartbeats in
// the very minute of the refresh storm (one statement for every recipient held it still: 0.4 s
// at 100,000 recipients, 3.5 s at a million; `npm run bench:storm` shows a reader's longest wait).
describe('publishing to more recipients than one statement writes', () => {
  let t: TestContext;
  const confirmed = 3 * DELIVERIES_PER_STATEMENT + 17;
  beforeAll(async () => {
    t = await createTestContext();
    // Confirmed subscribers with a few unconfirmed ones among them (random ids interleave them).
    await t.deps.db.run(sql`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${confirmed + 40})
      INSERT INTO subscribers (id, list_id, email, state, component_ids, manage_token_hash, source, created_at, confirmed_at, updated_at)
      SELECT lower(hex(randomblob(8))), (SELECT id FROM lists WHERE slug = 'customers'), 'reader' || i || '@example.net',
             CASE WHEN i % 100 = 0 AND i <= 4000 THEN 'pending' ELSE 'confirmed' END, NULL,
             lower(hex(randomblob(32))), 'test', 0, 0, 0
      FROM n`);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets the event loop turn between slices and still queues every confirmed subscriber once, numbered in order', async () => {
    // Counts turns of this process's event loop (where the app serves its sockets) while the
    // P0 is published.
    let turns = 0;
    let publishing = true;
    const tick = () => {
      if (!publishing) return;
      turns += 1;
      setImmediate(tick);
    };
    setImmediate(tick);
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Website is down' });
    publishing = false;
    const slices = Math.ceil(confirmed / DELIVERIES_PER_STATEMENT);
    expect(turns).toBeGreaterThanOrEqual(slices - 1);

    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    const rows = await t.deps.db
      .select({
        id: deliveries.id,
        subscriberId: deliveries.subscriberId,
        state: subscribers.state,
      })
      .from(deliveries)
      .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
      .where(eq(deliveries.broadcastId, b!.id))
      .orderBy(asc(deliveries.id));
    expect(b!.total).toBe(confirmed);
    expect(rows).toHaveLength(confirmed);
    expect(rows.every((r) => r.state === 'confirmed')).toBe(true);
    expect(new Set(rows.map((r) => r.subscriberId)).size).toBe(confirmed);
    // Numbered 1..N without a gap across slices, in subscriber-id order.
    expect(rows.map((r) => r.id)).toEqual(
      Array.from({ length: confirmed }, (_, i) => `${b!.id}-${String(i + 1).padStart(7, '0')}`),
    );
    const bySubscriber = rows.map((r) => r.subscriberId);
    expect(bySubscriber).toEqual([...bySubscriber].sort());
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
    const reached = await t.deps.db
      .select({ componentIds: subscribers.componentIds })
      .from(deliveries)
      .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
      .where(eq(deliveries.broadcastId, b!.id));
    const searchOnly = Math.floor(seeded / 3);
    expect(reached).toHaveLength(seeded - searchOnly);
    expect(b!.total).toBe(seeded - searchOnly);
    expect(
      reached.some((r) => JSON.stringify(r.componentIds) === JSON.stringify([search.id])),
    ).toBe(false);
  });
});
