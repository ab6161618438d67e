import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, incidentUpdates } from '../../db/schema/index.ts';
import { seedDemo } from '../../server/demo/seed-demo.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';

const MIN = 60_000;

describe('the demo page (npm start -- --demo)', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
    expect(await seedDemo(t.deps)).toBe(true);
  });
  afterAll(() => t.close());

  /** Each published update of the incident: its status and minutes after the declaration. */
  const timeline = async (title: string) => {
    const [incident] = await t.deps.db.select().from(incidents).where(eq(incidents.title, title));
    const updates = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident!.id))
      .orderBy(asc(incidentUpdates.displayAt));
    return {
      incident: incident!,
      updates: updates
        .filter((u) => u.state === 'published')
        .map((u) => [u.status, (u.displayAt.getTime() - incident!.startedAt.getTime()) / MIN]),
    };
  };

  it('tells each incident as it happened: declared, then each update at its minute', async () => {
    const p0 = await timeline('API unavailable in the EU region');
    expect(p0.updates).toEqual([
      ['investigating', 0],
      ['identified', 12],
      ['monitoring', 27],
      ['resolved', 55],
    ]);
    expect(p0.incident.resolvedAt!.getTime() - p0.incident.startedAt.getTime()).toBe(55 * MIN);
    const p2 = await timeline('Dashboard slow to load');
    expect(p2.updates).toEqual([
      ['investigating', 0],
      ['resolved', 90],
    ]);
    const p1 = await timeline('Card payments failing for some customers');
    expect(p1.updates).toEqual([
      ['investigating', 0],
      ['identified', 15],
      ['identified', 30],
    ]);
    expect(p1.incident.status).toBe('identified');
    // The active P1's last update promised the next one 20 minutes later.
    expect(p1.incident.nextUpdateDueAt!.getTime() - t.clock.now().getTime()).toBe(10 * MIN);
  });

  it('does nothing on a page that already has components', async () => {
    expect(await seedDemo(t.deps)).toBe(false);
  });
});
