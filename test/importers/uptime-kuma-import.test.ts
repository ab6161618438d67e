import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  components,
  deliveries,
  incidents,
  maintenances,
  outboxMessages,
} from '../../db/schema/index.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { herald } from './herald-process.ts';
import { serveSource } from './source-server.ts';

// `npx herald import uptime-kuma` against a local server answering as Uptime Kuma's status page
// endpoints do (/api/status-page/<slug> and /api/status-page/heartbeat/<slug>).

const page = {
  config: {
    slug: 'main',
    title: 'Acme Status',
    description: null,
    icon: '/icon.svg',
    theme: 'auto',
    published: true,
    showTags: false,
    domainNameList: [],
    customCSS: 'body {}',
    footerText: null,
    showPoweredBy: true,
    googleAnalyticsId: null,
    showCertificateExpiry: false,
  },
  incident: {
    id: 3,
    style: 'danger',
    title: 'Login fails for some users',
    content: 'We are looking into **login errors** (SSO <b>only</b>).',
    pin: true,
    createdDate: '2024-05-01 10:00:00',
    lastUpdatedDate: '2024-05-01 10:20:00',
  },
  publicGroupList: [
    {
      id: 1,
      name: 'Services',
      weight: 1,
      monitorList: [
        { id: 11, name: 'API', sendUrl: 0, type: 'http' },
        { id: 12, name: 'Web & "App" — 日本', sendUrl: 0, type: 'http' },
        { id: 13, name: 'Queue', sendUrl: 0, type: 'push' },
      ],
    },
    {
      id: 2,
      name: 'Infrastructure',
      weight: 2,
      monitorList: [{ id: 14, name: 'DNS', type: 'dns' }],
    },
  ],
  maintenanceList: [
    {
      id: 5,
      title: 'Network work',
      description: 'Switch replacement',
      strategy: 'single',
      active: true,
      status: 'under-maintenance',
      timeslotList: [{ startDate: '2024-05-01 09:00:00', endDate: '2099-05-01 11:00:00' }],
    },
    {
      id: 6,
      title: 'Weekly backups',
      description: '',
      strategy: 'recurring-weekday',
      active: true,
      status: 'scheduled',
      timeslotList: [{ startDate: '2099-05-06 02:00:00', endDate: '2099-05-06 03:00:00' }],
    },
    {
      id: 7,
      title: 'Old plan',
      strategy: 'single',
      active: false,
      status: 'inactive',
      timeslotList: [],
    },
  ],
};
const beats = {
  heartbeatList: {
    '11': [
      { status: 1, time: '2024-05-01 09:59:00.000', msg: '', ping: 40 },
      { status: 0, time: '2024-05-01 10:00:00.000', msg: 'timeout', ping: null },
    ],
    '12': [{ status: 1, time: '2024-05-01 10:00:00.000', msg: '', ping: 30 }],
    '13': [{ status: 2, time: '2024-05-01 10:00:00.000', msg: '', ping: null }],
  },
  uptimeList: { '11_24': 0.98, '12_24': 1 },
};

describe('npx herald import uptime-kuma', { timeout: 120_000 }, () => {
  let t: TestContext;
  let server: Awaited<ReturnType<typeof serveSource>>;
  beforeAll(async () => {
    t = await createTestContext();
    server = await serveSource((url) => {
      if (url.pathname === '/api/status-page/main') return { body: page };
      if (url.pathname === '/api/status-page/heartbeat/main') return { body: beats };
      if (url.pathname === '/api/status-page/other') return { body: { hello: 'world' } };
      return null;
    });
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });
  const args = () => ['import', 'uptime-kuma', '--url', server.url, '--slug', 'main'];

  it('brings groups, monitors as components with their status now, the pinned incident and the maintenance, emailing nobody', async () => {
    const r = await herald(t, args());
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('groups: 2 new');
    expect(r.out).toContain('components: 4 new');
    expect(r.out).toContain('incidents: 1 new');
    expect(r.out).toContain('maintenances: 2 new');
    expect(r.out).toMatch(/"Old plan": is inactive; not imported/);
    expect(r.out).toMatch(/"Weekly backups": repeats \(recurring-weekday\)/);

    const all = await t.deps.db.select().from(components);
    const status = (name: string) => all.find((c) => c.name === name)!.status;
    expect(status('API')).toBe('major_outage');
    expect(status('Web & "App" — 日本')).toBe('operational');
    expect(status('Queue')).toBe('degraded_performance');
    expect(status('DNS')).toBe('operational');
    const infra = all.find((c) => c.name === 'Infrastructure')!;
    expect(all.find((c) => c.name === 'DNS')!.groupId).toBe(infra.id);

    const [incident] = await t.deps.db.select().from(incidents);
    expect(incident).toMatchObject({
      title: 'Login fails for some users',
      priority: 1,
      impact: 'major',
      status: 'investigating',
    });
    expect(incident!.startedAt.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    const windows = await t.deps.db.select().from(maintenances);
    expect(windows.map((w) => w.status).sort()).toEqual(['in_progress', 'scheduled']);
    for (const table of [outboxMessages, deliveries])
      expect((await t.deps.db.select({ n: count() }).from(table))[0]!.n).toBe(0);
  });

  it('changes nothing when run again', async () => {
    const r = await herald(t, args());
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('components: 0 new, 4 already here');
    expect(r.out).toContain('incidents: 0 new, 1 already here');
    expect((await t.deps.db.select({ n: count() }).from(components))[0]!.n).toBe(6);
  });

  it('refuses a bad slug naming --slug, a page that does not exist and one that is not a status page, changing nothing', async () => {
    // Side by side: each is refused before it writes anything, so none waits on another.
    const [bad, missing, other] = await Promise.all([
      herald(t, ['import', 'uptime-kuma', '--url', server.url, '--slug', '../x']),
      herald(t, ['import', 'uptime-kuma', '--url', server.url, '--slug', 'nope']),
      herald(t, ['import', 'uptime-kuma', '--url', server.url, '--slug', 'other']),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--slug must be the status page slug/);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/answered 404.*slug/);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(
      /\/api\/status-page\/other is not an Uptime Kuma status page \(config: /,
    );
    expect((await t.deps.db.select({ n: count() }).from(components))[0]!.n).toBe(6);
  });
});

describe('an Uptime Kuma window in its own time zone', { timeout: 60_000 }, () => {
  it('reads a single window as Uptime Kuma wrote it: wall-clock time in the window time zone', async () => {
    // Uptime Kuma keeps a single window's dates as typed, in the window's zone, and says which
    // zone beside them (Uptime Kuma's own maintenance model, its toPublicJSON).
    const t = await createTestContext();
    const server = await serveSource((url) => {
      if (url.pathname === '/api/status-page/berlin')
        return {
          body: {
            config: { slug: 'berlin', title: 'Berlin' },
            incident: null,
            publicGroupList: [],
            maintenanceList: [
              {
                id: 9,
                title: 'Database upgrade',
                description: 'Read-only for an hour',
                strategy: 'single',
                active: true,
                status: 'scheduled',
                timezone: 'Europe/Berlin',
                timezoneOffset: '+01:00',
                timeslotList: [
                  { startDate: '2099-07-01 02:00:00', endDate: '2099-07-01 03:00:00' },
                ],
              },
            ],
          },
        };
      if (url.pathname === '/api/status-page/heartbeat/berlin')
        return { body: { heartbeatList: {}, uptimeList: {} } };
      return null;
    });
    try {
      const r = await herald(t, ['import', 'uptime-kuma', '--url', server.url, '--slug', 'berlin']);
      expect(r.code, r.err).toBe(0);
      const body = (await (await t.app.request('/api/v2/scheduled-maintenances.json')).json()) as {
        scheduled_maintenances: { name: string; scheduled_for: string; scheduled_until: string }[];
      };
      const w = body.scheduled_maintenances.find((m) => m.name === 'Database upgrade')!;
      // 02:00 summer time in Berlin is midnight UTC.
      expect(w.scheduled_for).toMatch(/^2099-07-01T00:00:00/);
      expect(w.scheduled_until).toMatch(/^2099-07-01T01:00:00/);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
