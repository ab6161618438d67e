import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import {
  claimDeliveries,
  extendLeases,
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
    const claimed = await claimDeliveries(t.deps.db, now, 100, { ms: 15_000, owner: 'test' });
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
    const rules = {
      owner: 'test',
      maxAttempts: 8,
      retryAt: (at: Date) => new Date(at.getTime() + 60_000),
    };
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

  it('lets a lane whose lease ran out change nothing another lane has taken over since', async () => {
    // The first lane still holds its last row, and cannot write for longer than its lease
    // (another process holds the write lock): a second lane takes the row over.
    t.clock.advance(16_000);
    const takenOver = await claimDeliveries(t.deps.db, t.clock.now(), 100, {
      ms: 15_000,
      owner: 'second',
    });
    const lastRow = (await rows())[6]!;
    expect(takenOver.map((c) => c.id)).toContain(lastRow.id);
    const now = t.clock.now();
    const rules = { maxAttempts: 8, retryAt: (at: Date) => new Date(at.getTime() + 60_000) };
    // The first lane's late writes: its heartbeat, a refusal for now, a hand-back.
    await extendLeases(
      t.deps.db,
      'deliveries',
      [lastRow.id],
      new Date(now.getTime() + 99_000),
      'test',
    );
    for (const result of [
      { ok: false, permanent: false, error: '451 try later' },
      { released: true },
    ] as Outcome['result'][])
      await recordOutcomes(
        t.deps.db,
        'deliveries',
        [{ id: lastRow.id, attempts: 1, result }],
        now,
        {
          ...rules,
          owner: 'test',
        },
      );
    const held = (await rows())[6]!;
    expect(held).toMatchObject({ state: 'sending', attempts: 2, lastError: null });
    expect(held.leaseUntil!.getTime()).toBe(now.getTime() + 15_000);
    // The lane that holds it records what its own send did.
    const sent: Outcome = { id: lastRow.id, attempts: 2, result: { ok: true, messageId: '<c@x>' } };
    await recordOutcomes(t.deps.db, 'deliveries', [sent], now, { ...rules, owner: 'second' });
    expect((await rows())[6]).toMatchObject({ state: 'sent', attempts: 2 });
  });
});
