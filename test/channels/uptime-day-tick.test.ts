import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDayTick } from '../../server/jobs/day-tick.ts';
import { makeComponent } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';

describe('uptime bars roll over at midnight without any write', () => {
  let s: ServerContext;
  beforeAll(async () => {
    s = await startTestServer();
    s.clock.set('2026-11-21T20:00:00.000Z');
    await makeComponent(s.deps, { name: 'API' });
    s.clock.set('2026-11-21T23:58:00.000Z');
  });
  afterAll(() => s.close());

  it('a new day in the page zone renders the cached page again, "Last updated" unchanged', async () => {
    const tick = createDayTick(s.deps);
    expect(await tick.runOnce()).toBe(false);
    const before = await (await fetch(`${s.url}/`)).text();
    expect(before).toContain('title="Nov 21, 2026: No downtime"></span> </div>');
    const updated = /Last updated <time datetime="([^"]+)"/.exec(before)![1];

    s.clock.set('2026-11-21T23:59:30.000Z');
    expect(await tick.runOnce()).toBe(false);
    s.clock.set('2026-11-22T00:00:30.000Z');
    expect(await tick.runOnce()).toBe(true);
    expect(await tick.runOnce()).toBe(false);

    const after = await (await fetch(`${s.url}/`)).text();
    expect(after).toContain('title="Nov 22, 2026: No downtime"></span> </div>');
    expect(/Last updated <time datetime="([^"]+)"/.exec(after)![1]).toBe(updated);
  });
});
