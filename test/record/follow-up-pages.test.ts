import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { addActionItem } from '../../server/domain/record/add-action-item.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';

describe('follow-ups and overdue action items on the admin pages', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rita: FormClient;
  let ritaId: string;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    ritaId = (await makeUser(t, 'responder', 'rita@example.com')).id;
    rita = new FormClient(site.base);
    await rita.login('rita@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('shows the proposed follow-up after a P1 all-clear, keeps typed text on a bad time, schedules and skips it', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Payments down' });
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Fixed.' }, testActor);
    const page = await rita.get(`/admin/incidents/${incident.id}`);
    // The test clock is Saturday 21 Nov 2026: Monday 10:00 UTC.
    expect(page.html).toContain('Proposed for <time datetime="2026-11-23T10:00:00.000Z"');
    expect(page.html).toContain('A follow-up on &quot;Payments down&quot;');

    const path = `/admin/incidents/${incident.id}/record`;
    const bad = await rita.post(path, {
      _action: 'follow-up',
      scheduledFor: 'soon',
      body: 'My words',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('My words');
    expect(bad.html).toContain('pick a date and time');
    const ok = await rita.post(path, {
      _action: 'follow-up',
      scheduledFor: '2026-11-23T11:30',
      body: 'What we changed.',
    });
    expect(ok.res.status).toBe(303);
    const after = await rita.get(`/admin/incidents/${incident.id}`);
    expect(after.html).toContain('Scheduled for <time datetime="2026-11-23T11:30:00.000Z"');
    const dash = await rita.get('/admin');
    expect(dash.html).toMatch(/1 due · 0 sent · 0 skipped/);

    // Sent, it is a broadcast like any other on the admin's broadcast pages.
    const other = (await makeIncident(t.deps, { priority: 0, title: 'Sent one' })).incident;
    await resolveIncident(t.deps, { incidentId: other.id, body: 'Fixed.' }, testActor);
    const now = t.clock.now();
    t.clock.set('2026-11-23T10:00:00Z');
    await createScheduler(t.deps).runOnce();
    await createScheduler(t.deps).runOnce();
    // Back to now before any page: two days on, the session would have lapsed.
    t.clock.set(now);
    const list = await rita.get('/admin/broadcasts');
    expect(list.res.status).toBe(200);
    expect(list.html).toContain('PRIORITY 0 ISSUE FOLLOW-UP: SENT ONE');
    const id = /href="\/admin\/broadcasts\/([a-z0-9]+)">PRIORITY 0 ISSUE FOLLOW-UP: SENT ONE/.exec(
      list.html,
    )![1]!;
    expect((await rita.get(`/admin/broadcasts/${id}`)).res.status).toBe(200);

    const skip = await rita.post(path, { _action: 'follow-up-skip' });
    expect(skip.res.status).toBe(303);
    expect((await rita.get('/admin')).html).toMatch(/0 due · 1 sent · 1 skipped/);
  });

  it('lists overdue action items loudly on the dashboard, by owner', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Slow search' });
    await addActionItem(
      t.deps,
      {
        incidentId: incident.id,
        title: 'Add a disk alert',
        kind: 'detect',
        ownerId: ritaId,
        dueAt: '2026-11-20T10:00:00Z',
        phase: 'after',
      },
      testActor,
    );
    const dash = await rita.get('/admin');
    expect(dash.html).toContain('1 action item is OVERDUE');
    expect(dash.html).toMatch(/<strong>rita@example\.com<\/strong>: <a[^>]*>Add a disk alert<\/a>/);
  });

  it('shows the look back to admins only', async () => {
    await makeUser(t, 'admin', 'ada@example.com');
    const ada = new FormClient(site.base);
    await ada.login('ada@example.com');
    const page = await ada.get('/admin/look-back');
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('The last 60 days');
    expect(page.html).toMatch(/Incidents: \d+ \(P0 \d+, P1 \d+, P2 \d+, P3 \d+\)/);
    expect((await rita.get('/admin/look-back')).res.status).toBe(403);
  });
});
