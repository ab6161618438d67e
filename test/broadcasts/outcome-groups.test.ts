import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import {
  claimDeliveries,
  type Outcome,
  recordOutcomes,
} from '../../server/domain/broadcasts/outbox-store.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// A group of outcomes is written as one statement per kind of outcome (the ids bound as one JSON
// array): each row must still get exactly its own outcome, a group written twice (a commit whose
// answer was lost) must change nothing, and a row no longer `sending` is never touched.
describe('recording a group of outcomes', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
    for (let i = 0; i < 7; i++) await makeConfirmedSubscriber(t.deps, `p${i}@example.org`);
    await makeIncident(t.deps, { priority: 0, title: 'Checkout fails' });
  });
  afterAll(() => t.close());

  const rows = () =>
    t.deps.db
      .select({
        id: deliveries.id,
        state: deliveries.state,
        attempts: deliveries.attempts,
        lastError: deliveries.lastError,
        leaseUntil: deliveries.leaseUntil,
      })
      .from(deliveries)
      .orderBy(asc(deliveries.id));

  it('gives each row its own outcome, and writing the same group again changes nothing', async () => {
    const now = t.clock.now();
    const claimed = await claimDeliveries(t.deps.db, now, 100, 15_000);
    expect(claimed).toHaveLength(7);
    const ids = claimed.map((c) => c.id).sort();
    // The last row is left `sending`: it is not in the group and must stay as it is.
    const results: Outcome['result'][] = [
      { ok: true, messageId: '<a@x>' },
      { skipped: true },
      { released: true },
      { ok: false, permanent: true, error: '550 no such user' },
      { ok: false, permanent: false, error: '451 try later' },
      { ok: true, messageId: '<b@x>' },
    ];
    const group: Outcome[] = results.map((result, i) => ({ id: ids[i]!, attempts: 1, result }));
    const rules = { maxAttempts: 8, retryAt: (at: Date) => new Date(at.getTime() + 60_000) };
    await recordOutcomes(t.deps.db, 'deliveries', group, now, rules);
    const after = await rows();
    await recordOutcomes(t.deps.db, 'deliveries', group, now, rules);
    expect(await rows()).toEqual(after);
    expect(after.map(({ state, attempts, lastError }) => ({ state, attempts, lastError }))).toEqual(
      [
        { state: 'sent', attempts: 1, lastError: null },
        { state: 'skipped', attempts: 1, lastError: null },
        { state: 'pending', attempts: 0, lastError: null },
        { state: 'failed', attempts: 1, lastError: '550 no such user' },
        { state: 'pending', attempts: 1, lastError: '451 try later' },
        { state: 'sent', attempts: 1, lastError: null },
        { state: 'sending', attempts: 1, lastError: null },
      ],
    );
    expect(after.slice(0, 6).every((r) => r.leaseUntil === null)).toBe(true);
    expect(after[6]!.leaseUntil).not.toBeNull();
  });
});
