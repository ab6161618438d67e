import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

const MIN = 60_000;

async function statusOf(t: TestContext, name: string): Promise<string> {
  const body = await (await t.app.request('/api/v2/components.json')).json();
  return body.components.find((c: { name: string }) => c.name === name).status;
}

describe('an incident resolved inside a maintenance window', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it("gives the component back to the window still running, and the window's end restores it", async () => {
    const db = await makeComponent(t.deps, { name: 'Database' });
    const start = new Date(t.clock.now().getTime() + 60 * MIN);
    await scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade',
        description: 'Upgrading Postgres.',
        scheduledFor: start,
        scheduledUntil: new Date(start.getTime() + 120 * MIN),
        componentIds: [db.id],
        notify: false,
      },
      testActor,
    );
    const scheduler = createScheduler(t.deps);
    t.clock.set(start);
    await scheduler.runOnce();
    expect(await statusOf(t, 'Database')).toBe('under_maintenance');

    // The upgrade goes wrong: the PM declares an incident on the same component.
    t.clock.advance(10 * MIN);
    const { incident } = await makeIncident(t.deps, {
      title: 'Database upgrade failing',
      priority: 2,
      components: [{ componentId: db.id, status: 'major_outage' }],
    });
    expect(await statusOf(t, 'Database')).toBe('major_outage');

    // Fixed 20 minutes later; the window still has 90 minutes to run.
    t.clock.advance(20 * MIN);
    await resolveIncident(t.deps, { incidentId: incident.id }, testActor);
    await scheduler.runOnce();
    expect(await statusOf(t, 'Database')).toBe('under_maintenance');

    // The window's end gives it back its status from before the window.
    t.clock.set(new Date(start.getTime() + 120 * MIN));
    await scheduler.runOnce();
    expect(await statusOf(t, 'Database')).toBe('operational');
  });
});
