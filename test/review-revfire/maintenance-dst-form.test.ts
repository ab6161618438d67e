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
  });
});
