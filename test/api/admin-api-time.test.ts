import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';

// Each test has its own database and clock, so none depends on where another left them.
describe('admin API: scheduled updates, promises, maintenance steps, the switch', () => {
  let t: TestContext;
  let a: ReturnType<typeof api>;
  beforeEach(async () => {
    t = await createTestContext();
    a = api(t, (await makeToken(t, 'responder')).secret);
  });
  afterEach(() => t.close());

  it('schedules, lists, edits and cancels an update; 409 once it has gone out', async () => {
    const inc = await a.post('/api/admin/incidents', {
      title: 'Queue backlog',
      priority: 2,
      body: 'Looking.',
    });
    const incidentId = inc.json.incident.id;
    const s = await a.post(`/api/admin/incidents/${incidentId}/scheduled-updates`, {
      body: 'Backlog drained.',
      status: 'resolved',
      scheduledFor: '2026-11-21T12:10:00Z',
    });
    expect(s.status).toBe(201);
    const id = s.json.update.id;
    expect(
      (await a.get('/api/admin/scheduled-updates')).json.scheduled.map((u: { id: string }) => u.id),
    ).toEqual([id]);
    expect(
      (
        await a.patch(`/api/admin/scheduled-updates/${id}`, {
          scheduledFor: '2026-11-21T12:20:00Z',
        })
      ).status,
    ).toBe(200);
    const other = await a.post(`/api/admin/incidents/${incidentId}/scheduled-updates`, {
      body: 'x',
      scheduledFor: '2026-11-21T12:15:00Z',
    });
    expect((await a.del(`/api/admin/scheduled-updates/${other.json.update.id}`)).status).toBe(200);
    t.clock.set('2026-11-21T12:20:00Z');
    await createScheduler(t.deps).runOnce();
    expect(
      (await a.patch(`/api/admin/scheduled-updates/${id}`, { body: 'late edit' })).status,
    ).toBe(409);
    expect((await a.del(`/api/admin/scheduled-updates/${id}`)).status).toBe(409);
    const pub = await (await t.app.request('/api/v2/incidents.json')).json();
    expect(pub.incidents[0]).toMatchObject({ id: incidentId, status: 'resolved' });
    expect(
      (
        await a.post(`/api/admin/incidents/${incidentId}/scheduled-updates`, {
          body: 'x',
          scheduledFor: '2020-01-01T00:00:00Z',
        })
      ).json.error.fields,
    ).toEqual({ scheduledFor: 'must be in the future' });
  });

  it('posts a holding update and reports the promises', async () => {
    const inc = await a.post('/api/admin/incidents', {
      title: 'API errors',
      priority: 1,
      body: 'Investigating.',
      nextUpdateInMinutes: 15,
    });
    const id = inc.json.incident.id;
    t.clock.advance(20 * 60_000);
    expect((await a.post(`/api/admin/incidents/${id}/holding`)).status).toBe(201);
    const r = await a.get(`/api/admin/incidents/${id}/promises`);
    expect(r.json).toMatchObject({
      promises: 2,
      kept: 0,
      broken: 1,
      allKept: false,
      maxLateMs: 5 * 60_000,
    });
    expect(
      (await a.patch(`/api/admin/incidents/${id}/auto-holding`, { autoHolding: true })).json,
    ).toEqual({ incidentId: id, autoHolding: true });
  });

  it('starts, extends and completes a window, and flips the switch', async () => {
    const c = await makeComponent(t.deps, { name: 'Search' });
    const m = await a.post('/api/admin/maintenance', {
      title: 'Reindex',
      description: 'Reindexing.',
      scheduledFor: '2026-11-22T02:00:00Z',
      scheduledUntil: '2026-11-22T03:00:00Z',
      componentIds: [c.id],
    });
    const id = m.json.maintenance.id;
    expect((await a.post(`/api/admin/maintenance/${id}/start`)).json.maintenance.status).toBe(
      'in_progress',
    );
    expect(
      (
        await a.post(`/api/admin/maintenance/${id}/extend`, {
          scheduledUntil: '2026-11-22T05:00:00Z',
        })
      ).status,
    ).toBe(200);
    expect((await a.post(`/api/admin/maintenance/${id}/complete`)).json.maintenance.status).toBe(
      'completed',
    );
    expect((await a.post(`/api/admin/maintenance/${id}/complete`)).status).toBe(409);
    const detail = await a.get(`/api/admin/maintenance/${id}`);
    expect(detail.json.updates.map((u: { status: string }) => u.status)).toEqual([
      'completed',
      'in_progress',
      'in_progress',
      'scheduled',
    ]);

    expect(
      (await a.post('/api/admin/maintenance-switch', { message: 'Upgrading.' })).json,
    ).toMatchObject({ active: true, message: 'Upgrading.' });
    expect((await a.del('/api/admin/maintenance-switch')).json).toMatchObject({ active: false });
    const spec = await (await t.app.request('/api/admin/openapi.json')).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/api/admin/scheduled-updates/{id}',
        '/api/admin/maintenance-switch',
        '/api/admin/incidents/{id}/promises',
      ]),
    );
  });

  it('refuses without a token', async () => {
    expect((await api(t, null).get('/api/admin/scheduled-updates')).status).toBe(401);
    // Positive control: the same request with a token is answered.
    expect((await a.get('/api/admin/scheduled-updates')).status).toBe(200);
  });
});
