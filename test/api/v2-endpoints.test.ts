import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { completeMaintenance } from '../../server/domain/maintenance/complete-maintenance.ts';
import { startMaintenance } from '../../server/domain/maintenance/start-maintenance.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ID = /^[0-9a-z]{12}$/;

const componentKeys = [
  'id',
  'name',
  'status',
  'created_at',
  'updated_at',
  'position',
  'description',
  'showcase',
  'start_date',
  'group_id',
  'page_id',
  'group',
  'only_show_if_degraded',
];
const incidentKeys = [
  'id',
  'name',
  'status',
  'impact',
  'created_at',
  'updated_at',
  'started_at',
  'monitoring_at',
  'resolved_at',
  'shortlink',
  'page_id',
  'incident_updates',
  'components',
];
const updateKeys = [
  'id',
  'status',
  'body',
  'incident_id',
  'created_at',
  'updated_at',
  'display_at',
  'affected_components',
  'deliver_notifications',
  'custom_tweet',
  'tweet_id',
];

async function get(t: TestContext, path: string) {
  const res = await t.app.request(path);
  expect(res.status, path).toBe(200);
  expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
  expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
  return res.json();
}

describe('Statuspage-compatible /api/v2', () => {
  let t: TestContext;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestContext();
    const d = t.deps;
    const group = await makeComponent(d, { name: 'Payments', isGroup: true });
    const cards = await makeComponent(d, { name: 'Card processing', groupId: group.id });
    const invoices = await makeComponent(d, { name: 'Invoicing', groupId: group.id });
    const api = await makeComponent(d, { name: 'API', description: 'Public REST API' });
    Object.assign(ids, { group: group.id, cards: cards.id, invoices: invoices.id, api: api.id });

    t.clock.advance(60_000);
    const old = await makeIncident(d, {
      title: 'Old outage',
      priority: 0,
      components: [{ componentId: api.id, status: 'major_outage' }],
    });
    t.clock.advance(60_000);
    await resolveIncident(d, { incidentId: old.incident.id }, testActor);
    ids.old = old.incident.id;

    t.clock.advance(60_000);
    const open = await makeIncident(d, {
      title: 'Cards declined',
      priority: 1,
      components: [{ componentId: cards.id, status: 'partial_outage' }],
    });
    t.clock.advance(60_000);
    await postIncidentUpdate(
      d,
      { incidentId: open.incident.id, status: 'monitoring', body: 'Fix deployed.' },
      testActor,
    );
    ids.open = open.incident.id;

    const now = t.clock.now().getTime();
    const upcoming = await scheduleMaintenance(
      d,
      {
        title: 'DB upgrade',
        description: 'Read-only.',
        scheduledFor: new Date(now + 86_400_000),
        scheduledUntil: new Date(now + 90_000_000),
        componentIds: [api.id],
      },
      testActor,
    );
    const active = await scheduleMaintenance(
      d,
      {
        title: 'Network work',
        description: 'Brief blips.',
        scheduledFor: new Date(now + 1000),
        scheduledUntil: new Date(now + 3_600_000),
      },
      testActor,
    );
    const done = await scheduleMaintenance(
      d,
      {
        title: 'Past work',
        description: 'Done.',
        scheduledFor: new Date(now + 2000),
        scheduledUntil: new Date(now + 4000),
      },
      testActor,
    );
    // Moved through the verbs an admin uses, so the rows are what production would hold.
    await startMaintenance(d, { maintenanceId: active.id }, testActor);
    await startMaintenance(d, { maintenanceId: done.id }, testActor);
    await completeMaintenance(d, { maintenanceId: done.id }, testActor);
    Object.assign(ids, { upcoming: upcoming.id, active: active.id, done: done.id });
  });
  afterAll(() => t.close());

  it('GET /api/v2/components.json lists groups and children flat, by 1-based position, with every field', async () => {
    const body = await get(t, '/api/v2/components.json');
    expect(Object.keys(body)).toEqual(['page', 'components']);
    expect(body.components.map((c: { name: string }) => c.name)).toEqual([
      'Payments',
      'Card processing',
      'Invoicing',
      'API',
    ]);
    expect(body.components.map((c: { position: number }) => c.position)).toEqual([1, 2, 3, 4]);
    for (const c of body.components) {
      for (const k of componentKeys) expect(c, k).toHaveProperty(k);
      expect(c.id).toMatch(ID);
      expect(c.created_at).toMatch(ISO_MS);
      expect(c.start_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(c.page_id).toBe(body.page.id);
    }
    const [group, cards, , api] = body.components;
    expect(group).toMatchObject({
      group: true,
      status: 'partial_outage',
      components: [ids.cards, ids.invoices],
      group_id: null,
    });
    expect(cards).toMatchObject({
      group: false,
      group_id: ids.group,
      status: 'partial_outage',
      description: null,
    });
    expect(cards).not.toHaveProperty('components');
    expect(api).toMatchObject({ description: 'Public REST API', status: 'operational' });
  });

  it('GET /api/v2/summary.json has the page, roll-up, components, unresolved incidents and current maintenance', async () => {
    const body = await get(t, '/api/v2/summary.json');
    expect(Object.keys(body)).toEqual([
      'page',
      'status',
      'components',
      'incidents',
      'scheduled_maintenances',
    ]);
    expect(body.page).toEqual({
      id: expect.stringMatching(ID),
      name: 'Acme',
      url: 'https://status.example.com',
      time_zone: 'Etc/UTC',
      updated_at: expect.stringMatching(ISO_MS),
    });
    expect(body.status).toEqual({ indicator: 'major', description: 'Partial System Outage' });
    expect(body.incidents.map((i: { id: string }) => i.id)).toEqual([ids.open]);
    expect(body.scheduled_maintenances.map((m: { id: string }) => m.id).sort()).toEqual(
      [ids.upcoming, ids.active].sort(),
    );
  });

  it('GET /api/v2/status.json has only page and status', async () => {
    const body = await get(t, '/api/v2/status.json');
    expect(Object.keys(body)).toEqual(['page', 'status']);
    expect(body.status.indicator).toBe('major');
  });

  it('GET /api/v2/incidents.json lists incidents newest first with updates newest first and every field', async () => {
    const body = await get(t, '/api/v2/incidents.json');
    expect(body.incidents.map((i: { id: string }) => i.id)).toEqual([ids.open, ids.old]);
    const [open, old] = body.incidents;
    for (const i of body.incidents) for (const k of incidentKeys) expect(i, k).toHaveProperty(k);
    expect(open).toMatchObject({
      name: 'Cards declined',
      status: 'monitoring',
      impact: 'major',
      resolved_at: null,
      shortlink: `https://status.example.com/incidents/${ids.open}`,
      monitoring_at: expect.stringMatching(ISO_MS),
    });
    expect(open.components.map((c: { id: string }) => c.id)).toEqual([ids.cards]);
    expect(open.incident_updates.map((u: { status: string }) => u.status)).toEqual([
      'monitoring',
      'investigating',
    ]);
    for (const u of open.incident_updates)
      for (const k of updateKeys) expect(u, k).toHaveProperty(k);
    expect(open.incident_updates[1]).toMatchObject({
      incident_id: ids.open,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
      affected_components: [
        {
          code: ids.cards,
          name: 'Card processing',
          old_status: 'operational',
          new_status: 'partial_outage',
        },
      ],
    });
    expect(open.incident_updates[0].affected_components).toBeNull();
    expect(old).toMatchObject({
      status: 'resolved',
      impact: 'critical',
      resolved_at: expect.stringMatching(ISO_MS),
      monitoring_at: null,
    });
  });

  it('resolving an incident puts its components back to operational', async () => {
    const body = await get(t, '/api/v2/components.json');
    expect(body.components.find((c: { id: string }) => c.id === ids.api).status).toBe(
      'operational',
    );
    const old = (await get(t, '/api/v2/incidents.json')).incidents[1];
    expect(old.incident_updates[0].affected_components).toEqual([
      { code: ids.api, name: 'API', old_status: 'major_outage', new_status: 'operational' },
    ]);
  });

  it('GET /api/v2/incidents/unresolved.json lists only investigating, identified and monitoring incidents', async () => {
    const body = await get(t, '/api/v2/incidents/unresolved.json');
    expect(Object.keys(body)).toEqual(['page', 'incidents']);
    expect(body.incidents.map((i: { status: string }) => i.status)).toEqual(['monitoring']);
  });

  it('GET /api/v2/scheduled-maintenances.json lists every state, newest first, with the window', async () => {
    const body = await get(t, '/api/v2/scheduled-maintenances.json');
    expect(Object.keys(body)).toEqual(['page', 'scheduled_maintenances']);
    expect(body.scheduled_maintenances.map((m: { id: string }) => m.id)).toEqual([
      ids.upcoming,
      ids.done,
      ids.active,
    ]);
    for (const m of body.scheduled_maintenances) {
      for (const k of [...incidentKeys, 'scheduled_for', 'scheduled_until'])
        expect(m, k).toHaveProperty(k);
      expect(m.impact).toBe('maintenance');
      expect(m.scheduled_for).toMatch(ISO_MS);
    }
    expect(body.scheduled_maintenances[0].components.map((c: { id: string }) => c.id)).toEqual([
      ids.api,
    ]);
    expect(body.scheduled_maintenances[0].incident_updates[0]).toMatchObject({
      status: 'scheduled',
      body: 'Read-only.',
    });
  });

  it('GET upcoming.json and active.json select scheduled and in-progress windows', async () => {
    const up = await get(t, '/api/v2/scheduled-maintenances/upcoming.json');
    expect(up.scheduled_maintenances.map((m: { id: string }) => m.id)).toEqual([ids.upcoming]);
    const act = await get(t, '/api/v2/scheduled-maintenances/active.json');
    expect(
      act.scheduled_maintenances.map((m: { id: string; status: string }) => [m.id, m.status]),
    ).toEqual([[ids.active, 'in_progress']]);
  });

  it('an upcoming maintenance has started_at (when it was published) in every v2 endpoint, never null', async () => {
    for (const path of [
      '/api/v2/scheduled-maintenances.json',
      '/api/v2/scheduled-maintenances/upcoming.json',
      '/api/v2/summary.json',
    ]) {
      const body = await get(t, path);
      const upcoming = body.scheduled_maintenances.find(
        (m: { id: string }) => m.id === ids.upcoming,
      );
      expect(upcoming, path).toBeDefined();
      expect(upcoming.status).toBe('scheduled');
      expect(upcoming.started_at, path).toMatch(ISO_MS);
      expect(upcoming.started_at).toBe(upcoming.created_at);
    }
  });

  it('answers an unknown API path with a JSON 404', async () => {
    const res = await t.app.request('/api/v2/nope.json');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: 'not_found', message: 'No API endpoint GET /api/v2/nope.json.' },
    });
  });

  it('a P0 incident reaches the public JSON as its impact, never as the internal priority', async () => {
    // DESIGN practice 4: customers and the public page hear impact, not internal priorities.
    await makeIncident(t.deps, { title: 'Checkout down', priority: 0 });
    for (const path of [
      '/api/v2/incidents.json',
      '/api/v2/incidents/unresolved.json',
      '/api/v2/summary.json',
    ]) {
      const body = await get(t, path);
      const entry = body.incidents.find((i: { name: string }) => i.name === 'Checkout down');
      expect(entry, path).toBeDefined();
      expect(entry.impact).toBe('critical');
      expect(entry, path).not.toHaveProperty('priority');
    }
  });

  it('keeps the internal note out of every public body', async () => {
    const inc = await makeIncident(t.deps, {
      title: 'Secret-ish',
      priority: 2,
      internalNote: 'INTERNAL-ONLY-NOTE',
    });
    await postIncidentUpdate(
      t.deps,
      {
        incidentId: inc.incident.id,
        body: 'Public progress.',
        internalNote: 'SECOND-INTERNAL-NOTE',
      },
      testActor,
    );
    const bodies = [
      '/api/v2/summary.json',
      '/api/v2/status.json',
      '/api/v2/components.json',
      '/api/v2/incidents.json',
      '/api/v2/incidents/unresolved.json',
      '/api/v2/scheduled-maintenances.json',
      '/api/v2/scheduled-maintenances/upcoming.json',
      '/api/v2/scheduled-maintenances/active.json',
      '/history.rss',
      '/history.atom',
      '/maintenance.ics',
      '/api/embed.json',
      '/api/uptime.json',
      '/api/maintenance',
    ];
    for (const path of bodies) {
      const res = await t.app.request(path);
      const text = await res.text();
      expect([path, res.status]).toEqual([path, 200]);
      expect([path, text]).not.toEqual([path, expect.stringContaining('INTERNAL-ONLY-NOTE')]);
      expect([path, text]).not.toEqual([path, expect.stringContaining('SECOND-INTERNAL-NOTE')]);
    }
    // The same bodies do carry the incident and its public text: the check reads real content.
    for (const path of ['/api/v2/incidents.json', '/api/v2/summary.json', '/history.rss']) {
      const text = await (await t.app.request(path)).text();
      expect([path, text]).toEqual([path, expect.stringContaining('Public progress.')]);
    }
  });
});

describe('GET /healthz', () => {
  it('answers 200 with JSON when the database answers, 503 when it does not', async () => {
    const t = await createTestContext();
    const ok = await t.app.request('/healthz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok', database: 'ok' });
    t.deps.handle.client.close();
    const down = await t.app.request('/healthz');
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'error', database: 'unavailable' });
    await t.close();
  });
});
