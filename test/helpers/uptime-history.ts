import { setComponentStatus } from '../../server/domain/components/set-component-status.ts';
import { testActor } from './deps.ts';
import { makeComponent } from './factories.ts';
import type { ServerContext } from './server.ts';

/**
 * Ten components with 90 days of history on the manual clock: a partial outage every few days,
 * so the bars are not all alike. Leaves the clock at 2026-11-21 12:00 UTC.
 */
export async function seedNinetyDays(s: ServerContext, count = 10): Promise<string[]> {
  s.clock.set('2026-08-01T00:00:00.000Z');
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await makeComponent(s.deps, { name: `Service ${i}` })).id);
  for (let day = 0; day < 90; day += 3) {
    s.clock.set(new Date(Date.UTC(2026, 7, 24 + day, 9)).toISOString());
    for (const [i, id] of ids.entries())
      if ((day + i) % 2 === 0)
        await setComponentStatus(s.deps, { componentId: id, status: 'partial_outage' }, testActor);
    s.clock.set(new Date(Date.UTC(2026, 7, 24 + day, 10)).toISOString());
    for (const id of ids)
      await setComponentStatus(s.deps, { componentId: id, status: 'operational' }, testActor);
  }
  s.clock.set('2026-11-21T12:00:00.000Z');
  return ids;
}
