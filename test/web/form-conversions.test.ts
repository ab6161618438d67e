import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { storeSnapshot } from '../helpers/store-snapshot.ts';

// Forms send strings; they are converted field by field before a verb sees them, so a bad
// value is named on the form that keeps what was typed, and nothing is written.
describe('admin forms convert their strings explicitly', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rita: FormClient;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    await makeUser(t, 'responder', 'rita@example.com');
    rita = new FormClient(site.base);
    await rita.login('rita@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('names a reminder lead that is not a number and keeps the window as typed', async () => {
    await rita.get('/admin/maintenance');
    const before = await storeSnapshot(t);
    const bad = await rita.post('/admin/maintenance', {
      title: 'Database upgrade',
      description: 'Upgrading Postgres.',
      scheduledFor: '2026-11-22T02:00',
      scheduledUntil: '2026-11-22T04:00',
      reminderLeadMinutes: 'half an hour',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('must be a number of minutes');
    expect(bad.html).toContain('Upgrading Postgres.');
    expect(await storeSnapshot(t)).toEqual(before);
    const ok = await rita.post('/admin/maintenance', {
      title: 'Database upgrade',
      description: 'Upgrading Postgres.',
      scheduledFor: '2026-11-22T02:00',
      scheduledUntil: '2026-11-22T04:00',
      reminderLeadMinutes: '30',
    });
    expect(ok.res.status).toBe(303);
  });

  it('names a priority that is not 0 to 3 on the declare form and declares nothing', async () => {
    await rita.get('/admin/incidents/new');
    const before = await storeSnapshot(t);
    for (const priority of ['x', '7', '-1', '1.5']) {
      const bad = await rita.post('/admin/incidents/new', {
        title: 'Website is down',
        priority,
        body: 'Errors on every page.',
        nextIn: '30',
      });
      expect(bad.res.status, priority).toBe(422);
      expect(bad.html).toContain('must be 0, 1, 2 or 3');
      expect(bad.html).toContain('Errors on every page.');
    }
    expect(await storeSnapshot(t)).toEqual(before);
  });
});
