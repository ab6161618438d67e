import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';

// The admin's date-time fields are read in the page's zone. On the US spring-forward night the
// clocks go from 01:59 EST straight to 03:00 EDT (07:00 UTC): "02:00" does not exist.
describe('a maintenance typed on the DST night is read in the page zone', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rita: FormClient;
  beforeAll(async () => {
    t = await createTestContext();
    t.clock.set(new Date('2026-03-01T12:00:00Z'));
    await updateSettings(t.deps, { timeZone: 'America/New_York' }, testActor);
    site = await startSite(t);
    await makeUser(t, 'responder', 'rita@example.com');
    rita = new FormClient(site.base);
    await rita.login('rita@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('a window typed 02:00-04:00 on 8 March in New York never starts before the clocks reach 02:00', async () => {
    await rita.get('/admin/maintenance');
    const ok = await rita.post('/admin/maintenance', {
      title: 'Database upgrade',
      description: 'Upgrading Postgres.',
      scheduledFor: '2026-03-08T02:00',
      scheduledUntil: '2026-03-08T04:00',
      reminderLeadMinutes: '30',
      autoStart: 'on',
      autoComplete: 'on',
    });
    expect(ok.res.status).toBe(303);
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    const listed = await admin.get('/api/admin/maintenance');
    expect(listed.json.maintenance).toHaveLength(1);
    const start: string = listed.json.maintenance[0].scheduledFor;
    // 07:00 UTC is the instant the New York clocks jump from 02:00 EST to 03:00 EDT. Anything
    // earlier is 01:xx EST: an hour the admin did not type (Herald stores 06:00 UTC, 01:00 EST,
    // and the notices say "SUN 06:00-08:00 UTC").
    expect(new Date(start!).getTime()).toBeGreaterThanOrEqual(Date.parse('2026-03-08T07:00:00Z'));
    // The skipped 02:00 moves forward to 03:00 EDT; 04:00 is 04:00 EDT.
    expect(start).toBe('2026-03-08T07:00:00.000Z');
    expect(listed.json.maintenance[0].scheduledUntil).toBe('2026-03-08T08:00:00.000Z');
  });

  it('the form says how times on a daylight-saving night are read', async () => {
    const { html } = await rita.get('/admin/maintenance');
    expect(html).toContain('Times are read in America/New_York');
    expect(html).toContain('a time the clocks skip moves forward');
    expect(html).toContain('is the first, earlier one');
  });

  it('a date the calendar does not have is refused with what was typed kept', async () => {
    await rita.get('/admin/maintenance');
    const bad = await rita.post('/admin/maintenance', {
      title: 'Cache flush',
      description: 'Flushing the edge cache.',
      scheduledFor: '2026-02-31T10:00',
      scheduledUntil: '2026-03-01T11:00',
      reminderLeadMinutes: '30',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('there is no 2026-02-31 10:00');
    expect(bad.html).toContain('Cache flush');
    expect(bad.html).toContain('value="2026-02-31T10:00"');
  });
});
