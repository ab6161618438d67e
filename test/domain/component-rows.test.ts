import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { components } from '../../db/schema/index.ts';
import { createComponent } from '../../server/domain/components/create-component.ts';
import { importComponent } from '../../server/domain/imports/import-records.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';

// A component created by an admin and one brought by an import are the same row: a group
// stores operational (it shows its children's worst) and uptime counts from its start date,
// else the day it was created.

describe('a new component', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(() => t.close());

  const row = async (id: string) =>
    (await t.deps.db.select().from(components).where(eq(components.id, id)))[0]!;

  it('created as a group stores operational whatever status it was given, starting today', async () => {
    t.clock.set(new Date('2026-03-04T22:00:00Z'));
    const c = await createComponent(
      t.deps,
      { name: 'Platform', isGroup: true, status: 'major_outage' },
      testActor,
    );
    expect(await row(c.id)).toMatchObject({ status: 'operational', startDate: '2026-03-04' });
  });

  it('imported keeps the source’s start date, else starts the day the source created it', async () => {
    const base = { source: 'test:rows', isGroup: false, status: 'partial_outage' as const };
    const dated = await importComponent(
      t.deps,
      {
        ...base,
        sourceId: 'a',
        name: 'API',
        position: 1,
        startDate: '2024-01-01',
        createdAt: new Date('2024-02-01T10:00:00Z'),
      },
      testActor,
    );
    const undated = await importComponent(
      t.deps,
      {
        ...base,
        sourceId: 'b',
        name: 'Web',
        position: 2,
        createdAt: new Date('2024-02-03T10:00:00Z'),
      },
      testActor,
    );
    const group = await importComponent(
      t.deps,
      {
        ...base,
        sourceId: 'g',
        name: 'Core',
        isGroup: true,
        position: 0,
        createdAt: new Date('2024-02-01T10:00:00Z'),
      },
      testActor,
    );
    expect(await row(dated.id)).toMatchObject({
      status: 'partial_outage',
      startDate: '2024-01-01',
    });
    expect(await row(undated.id)).toMatchObject({ startDate: '2024-02-03', position: 2 });
    expect(await row(group.id)).toMatchObject({ status: 'operational', isGroup: true });
  });
});
