import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';

describe("a maintenance window's page: move and cancel", () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rita: FormClient;
  let vera: FormClient;
  beforeAll(async () => {
    t = await createTestContext();
    t.clock.set(new Date('2026-03-01T12:00:00Z'));
    await updateSettings(t.deps, { timeZone: 'Europe/Berlin' }, testActor);
    site = await startSite(t);
    await makeUser(t, 'responder', 'rita@example.com');
    await makeUser(t, 'viewer', 'vera@example.com');
    rita = new FormClient(site.base);
    await rita.login('rita@example.com');
    vera = new FormClient(site.base);
    await vera.login('vera@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  const plan = () =>
    scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade',
        description: 'Upgrading Postgres.',
        scheduledFor: new Date('2026-03-10T02:00:00Z'),
        scheduledUntil: new Date('2026-03-10T04:00:00Z'),
      },
      testActor,
    );

  it('moves a window with times typed in the page zone', async () => {
    const m = await plan();
    await rita.get(`/admin/maintenance/${m.id}`);
    const moved = await rita.post(`/admin/maintenance/${m.id}`, {
      _action: 'move',
      scheduledFor: '2026-03-12T03:00',
      scheduledUntil: '2026-03-12T05:00',
    });
    expect(moved.res.status).toBe(303);
    const { html } = await rita.get(`/admin/maintenance/${m.id}?done=move`);
    expect(html).toContain('Moved: it starts at its new time.');
    expect(html).toContain('datetime="2026-03-12T02:00:00.000Z"');
  });

  it('asks before cancelling, says who is told, and then cancels', async () => {
    const m = await plan();
    const first = await rita.get(`/admin/maintenance/${m.id}`);
    expect(first.html).toContain('Cancel window…');
    expect(first.html).not.toContain('Yes, cancel the window');
    const ask = await rita.get(`/admin/maintenance/${m.id}?confirm=cancel`);
    expect(ask.html).toContain('Cancel this window?');
    expect(ask.html).toContain(
      'Nobody was emailed about this window yet, so nobody is emailed now.',
    );
    const done = await rita.post(`/admin/maintenance/${m.id}`, { _action: 'cancel' });
    expect(done.res.status).toBe(303);
    const { html } = await rita.get(`/admin/maintenance/${m.id}?done=cancel`);
    expect(html).toContain('Cancelled: it will not start.');
    expect(html).not.toContain('Cancel window…');
    expect(html).not.toContain('Start maintenance');
  });

  it('a viewer cannot cancel a window', async () => {
    const m = await plan();
    await vera.get(`/admin/maintenance/${m.id}?confirm=cancel`);
    const refused = await vera.post(`/admin/maintenance/${m.id}`, { _action: 'cancel' });
    expect(refused.res.status).toBe(403);
    const { html } = await rita.get(`/admin/maintenance/${m.id}`);
    expect(html).toContain('Cancel window…');
  });
});
