import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { broadcasts, deliveries } from '../../db/schema/index.ts';
import { claimEmail } from '../../server/domain/broadcasts/outbox-store.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// Rows a stopped process held (`sending`, their lease run out) became due before anything queued
// after them, so they are claimed first: a reader never gets the all-clear before the update a
// crash interrupted. The claim has no ORDER BY (a sort of every due row would cost a 1,000,000-
// recipient broadcast dearly): SQLite walks the OR's terms in the order written, each through
// the (state, next_attempt_at) index, and this test keeps that so.
describe('claim order of rows a stopped process held', () => {
  let t: TestContext;
  afterEach(() => t.close());

  it('the update a stopped process held goes out before the all-clear queued after it, to the same reader', async () => {
    t = await createTestContext();
    await makeConfirmedSubscriber(t.deps, 'x@example.com');
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Down' });
    // A process claimed the update's copy and died: `sending`, its lease ran out.
    const now = t.clock.now().getTime();
    await t.deps.db.run(
      sql`UPDATE deliveries SET state = 'sending', attempts = 1, lease_until = ${now + 15_000}`,
    );
    t.clock.advance(20_000);
    await postIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: 'Fixed', status: 'resolved' },
      testActor,
    );
    const kinds = new Map((await t.deps.db.select().from(broadcasts)).map((b) => [b.id, b.kind]));
    expect((await t.deps.db.select().from(deliveries)).length).toBe(2);
    const { deliveries: claimed } = await claimEmail(t.deps.db, t.clock.now(), 10, {
      ms: 15_000,
      owner: 'test',
    });
    const order = claimed.map((d) => kinds.get(d.broadcast_id));
    expect(order).toEqual(['incident_update', 'incident_resolved']);
  });
});
