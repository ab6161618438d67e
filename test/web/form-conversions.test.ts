import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { api, makeToken } from '../helpers/api.ts';
import { makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { storeSnapshot } from '../helpers/store-snapshot.ts';

// Forms send strings; they are converted field by field before a verb sees them, so a bad
// value is named on the form that keeps what was typed, and nothing is written.
describe('admin forms convert their strings explicitly', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rita: FormClient;
  let ada: FormClient;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    await makeUser(t, 'responder', 'rita@example.com');
    rita = new FormClient(site.base);
    await rita.login('rita@example.com');
    await makeUser(t, 'admin', 'ada@example.com');
    ada = new FormClient(site.base);
    await ada.login('ada@example.com');
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

  const declare = (fields: Record<string, string>) =>
    rita.post('/admin/incidents/new', {
      title: 'Website is down',
      priority: '1',
      body: 'Errors on every page.',
      nextIn: '30',
      ...fields,
    });

  it('refuses a notify choice that is not auto, yes or no, on the declare and the update form', async () => {
    await rita.get('/admin/incidents/new');
    const before = await storeSnapshot(t);
    for (const notify of ['maybe', 'on', 'true']) {
      const bad = await declare({ notify });
      expect(bad.res.status, notify).toBe(422);
      expect(bad.html).toMatch(
        /Email subscribers<\/a>: must be auto \(as the priority says\), yes or no/,
      );
      expect(bad.html).toContain('value="Website is down"');
      expect(bad.html).toContain('Errors on every page.');
    }
    expect(await storeSnapshot(t)).toEqual(before);
    const { incident } = await makeIncident(t.deps, { title: 'Search is slow', priority: 1 });
    await rita.get(`/admin/incidents/${incident.id}`);
    const update = await rita.post(`/admin/incidents/${incident.id}`, {
      _action: 'update',
      body: 'Still slow.',
      notifyShown: '1',
      notify: 'maybe',
    });
    expect(update.res.status).toBe(422);
    expect(update.html).toMatch(/Email subscribers<\/a>: must be auto/);
    expect(update.html).toContain('Still slow.');
    for (const notify of ['auto', 'yes', 'no'])
      expect((await declare({ notify })).res.status).toBe(303);
  });

  it('refuses a title with a line break, saying titles are one line, on the form and the API', async () => {
    const call = api(t, (await makeToken(t, 'responder')).secret);
    await rita.get('/admin/incidents/new');
    const before = await storeSnapshot(t);
    for (const title of ['Website\r\nis down', 'Website\nis down', 'Website\ris down']) {
      const bad = await declare({ title });
      expect(bad.res.status).toBe(422);
      expect(bad.html).toMatch(/Title<\/a>: must be one line, without line breaks/);
      expect(bad.html).toContain('Errors on every page.');
    }
    const viaApi = await call.post('/api/admin/incidents', {
      title: 'Website\nis down',
      priority: 1,
      body: 'Errors.',
    });
    expect(viaApi.status).toBe(422);
    expect(viaApi.json.error.fields.title).toBe('must be one line, without line breaks');
    const maintenance = await call.post('/api/admin/maintenance', {
      title: 'Database\nupgrade',
      description: 'Upgrading.',
      scheduledFor: '2026-12-22T02:00:00Z',
      scheduledUntil: '2026-12-22T04:00:00Z',
    });
    expect(maintenance.status).toBe(422);
    expect(await storeSnapshot(t)).toEqual(before);
  });

  it('names the statuses an incident may be declared with', async () => {
    await rita.get('/admin/incidents/new');
    const before = await storeSnapshot(t);
    const bad = await declare({ status: 'resolved' });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toMatch(
      /Status<\/a>: must be investigating, identified or monitoring \(resolve it once declared\)/,
    );
    expect(await storeSnapshot(t)).toEqual(before);
  });

  it('names every role a user may have, viewer included', async () => {
    await ada.get('/admin/users');
    const before = await storeSnapshot(t);
    const bad = await ada.post('/admin/users', {
      _action: 'create',
      email: 'new@example.com',
      role: 'superuser',
      password: 'long enough pw',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toMatch(/Role<\/a>: must be admin, responder or viewer/);
    expect(bad.html).toContain('value="new@example.com"');
    expect(await storeSnapshot(t)).toEqual(before);
  });
});
