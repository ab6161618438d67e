import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  components,
  incidents,
  incidentUpdates,
  maintenances,
  outboxMessages,
  subscribers,
} from '../../db/schema/index.ts';
import { silentProgress } from '../../server/importers/source.ts';
import { importCachet } from '../../server/importers/cachet.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { herald } from './herald-process.ts';
import { serveSource } from './source-server.ts';

// Cachet 2 (`/api/v1`, `{data, meta.pagination}`) and Cachet 3 (`/api`, JSON:API-style rows
// with `attributes` and `links.next`), served as their API documentation shows them.

const TOKEN = 'cachet-token';
const at = (minutes: number) =>
  new Date(Date.UTC(2023, 0, 1) + minutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');

function cachet2(base: string) {
  const page = (url: URL, rows: unknown[]) => {
    const n = Number(url.searchParams.get('page') ?? '1');
    const per = Number(url.searchParams.get('per_page') ?? '20');
    const pages = Math.max(1, Math.ceil(rows.length / per));
    const next = new URL(url);
    next.searchParams.set('page', String(n + 1));
    return {
      meta: {
        pagination: {
          total: rows.length,
          count: Math.min(per, rows.length - (n - 1) * per),
          per_page: per,
          current_page: n,
          total_pages: pages,
          links: {
            next_page: n < pages ? `${base}${next.pathname}${next.search}` : null,
            previous_page: null,
          },
        },
      },
      data: rows.slice((n - 1) * per, n * per),
    };
  };
  const groups = [
    { id: 1, name: 'Website', created_at: at(0), updated_at: at(0), order: 1, collapsed: 0 },
  ];
  const comps = [
    {
      id: 1,
      name: 'API',
      description: 'REST',
      link: '',
      status: 4,
      order: 1,
      group_id: 0,
      created_at: at(1),
      updated_at: at(1),
      deleted_at: null,
      enabled: true,
      status_name: 'Major Outage',
    },
    {
      id: 2,
      name: 'Blog – “news”',
      description: '',
      status: 1,
      order: 2,
      group_id: 1,
      created_at: at(2),
      updated_at: at(2),
      deleted_at: null,
      enabled: true,
      status_name: 'Operational',
    },
  ];
  const incidentsList = Array.from({ length: 150 }, (_, k) => ({
    id: k + 1,
    component_id: k === 149 ? 1 : 0,
    name: k === 0 ? 'Ünïcode & <tags>' : `Incident ${k + 1}`,
    status: k === 149 ? 1 : 4,
    visible: 1,
    message: k === 149 ? 'API is down' : `Fixed ${k + 1}`,
    scheduled_at: null,
    created_at: at(100 + k * 60),
    updated_at: at(100 + k * 60),
    occurred_at: at(100 + k * 60),
    human_status: k === 149 ? 'Investigating' : 'Fixed',
  }));
  const updates = (id: number) =>
    id === 150
      ? []
      : [
          {
            id: id * 10,
            incident_id: id,
            status: 2,
            message: 'Found it',
            user_id: 1,
            created_at: at(100 + (id - 1) * 60 + 5),
          },
          {
            id: id * 10 + 1,
            incident_id: id,
            status: 4,
            message: '',
            user_id: 1,
            created_at: at(100 + (id - 1) * 60 + 30),
          },
        ];
  const schedules = [
    {
      id: 1,
      name: 'Upgrade',
      message: 'Planned',
      status: 2,
      scheduled_at: at(50),
      completed_at: at(80),
      created_at: at(40),
    },
  ];
  const subs = [
    {
      id: 1,
      email: 'a@example.org',
      verify_code: 'x',
      verified_at: at(3),
      created_at: at(3),
      global: true,
    },
    {
      id: 2,
      email: 'b@example.org',
      verify_code: 'y',
      verified_at: null,
      created_at: at(4),
      global: true,
    },
  ];
  return (url: URL, req: { headers: Record<string, string | string[] | undefined> }) => {
    const p = url.pathname;
    if (p === '/api/v1/ping') return { body: { data: 'Pong!' } };
    if (p === '/api/v1/components/groups') return { body: page(url, groups) };
    if (p === '/api/v1/components') return { body: page(url, comps) };
    if (p === '/api/v1/incidents') return { body: page(url, incidentsList) };
    const m = /^\/api\/v1\/incidents\/(\d+)\/updates$/.exec(p);
    if (m) return { body: page(url, updates(Number(m[1]))) };
    if (p === '/api/v1/schedules') return { body: page(url, schedules) };
    if (p === '/api/v1/subscribers')
      return req.headers['x-cachet-token'] === TOKEN
        ? { body: page(url, subs) }
        : { status: 401, body: { errors: [{ status: 401, title: 'Unauthorized' }] } };
    return null;
  };
}

function cachet3() {
  const row = (type: string, id: number, attributes: Record<string, unknown>) => ({
    id,
    type,
    attributes,
  });
  const stamp = (m: number) => ({
    human: 'a while ago',
    string: new Date(Date.UTC(2024, 0, 1) + m * 60_000).toISOString(),
  });
  const list = (data: unknown[]) => ({
    data,
    links: { first: null, last: null, prev: null, next: null },
    meta: { current_page: 1, per_page: 100, total: data.length },
  });
  return (url: URL) => {
    const p = url.pathname;
    if (p === '/api/component-groups')
      return {
        body: list([row('componentGroups', 1, { name: 'Core', order: 1, created: stamp(0) })]),
      };
    if (p === '/api/components')
      return {
        body: list([
          row('components', 7, {
            name: 'Checkout',
            description: null,
            status: { human: 'Partial Outage', value: 3 },
            order: 1,
            group_id: 1,
            enabled: true,
            created: stamp(1),
          }),
          row('components', 8, {
            name: 'Legacy',
            description: null,
            status: { human: 'Unknown', value: 0 },
            order: 2,
            group_id: 1,
            enabled: true,
            created: stamp(1),
          }),
        ]),
      };
    if (p === '/api/incidents')
      return {
        body: list([
          row('incidents', 9, {
            guid: 'abc',
            name: 'Slow checkout',
            message: 'Looking',
            status: { human: 'Watching', value: 3 },
            visible: true,
            stickied: false,
            occurred_at: stamp(10),
            created: stamp(10),
          }),
        ]),
      };
    if (p === '/api/incidents/9/updates') return { body: list([]) };
    if (p === '/api/schedules') return { body: list([]) };
    return null;
  };
}

describe('importing from Cachet', { timeout: 60_000 }, () => {
  describe('Cachet 2', () => {
    let t: TestContext;
    let server: Awaited<ReturnType<typeof serveSource>>;
    beforeAll(async () => {
      t = await createTestContext();
      let base = '';
      const routes = cachet2('');
      server = await serveSource((url, req) => {
        const r = routes(url, req);
        // Next-page links are absolute, as Cachet writes them.
        return r
          ? JSON.parse(JSON.stringify(r).replaceAll('"next_page":"/', `"next_page":"${base}/`))
          : null;
      });
      base = server.url;
    });
    afterAll(async () => {
      await server.close();
      await t.close();
    });

    it('brings groups, components, every page of incidents with their updates, schedules and subscribers', async () => {
      const report = await importCachet(
        t.deps,
        { url: server.url, token: TOKEN },
        testActor,
        silentProgress,
      );
      expect(report.counts).toMatchObject({
        groups: { created: 1 },
        components: { created: 2 },
        incidents: { created: 150 },
        maintenances: { created: 1 },
        subscribers: { created: 2 },
      });
      expect(server.seen).toContain('GET /api/v1/incidents?per_page=100&page=2');
      const n = async (table: typeof incidents | typeof incidentUpdates | typeof maintenances) =>
        (await t.deps.db.select({ n: count() }).from(table))[0]!.n;
      expect(await n(incidents)).toBe(150);
      expect(await n(incidentUpdates)).toBe(150 + 149 * 2);
      const rows = await t.deps.db.select().from(incidents);
      const open = rows.find((r) => r.title === 'Incident 150')!;
      expect(open).toMatchObject({ status: 'investigating', impact: 'critical', priority: 0 });
      expect(rows.find((r) => r.title === 'Ünïcode & <tags>')!.status).toBe('resolved');
      const subs = await t.deps.db.select().from(subscribers);
      expect(subs.map((s) => [s.email, s.state]).sort()).toEqual([
        ['a@example.org', 'confirmed'],
        ['b@example.org', 'pending'],
      ]);
      expect((await t.deps.db.select({ n: count() }).from(outboxMessages))[0]!.n).toBe(0);
    });

    it('changes nothing when run again', async () => {
      const report = await importCachet(
        t.deps,
        { url: server.url, token: TOKEN },
        testActor,
        silentProgress,
      );
      expect(report.counts.incidents).toEqual({ created: 0, existing: 150 });
      expect((await t.deps.db.select({ n: count() }).from(components))[0]!.n).toBe(3);
    });

    it('says a wrong token is the problem, having changed nothing', async () => {
      const fresh = await createTestContext();
      try {
        await expect(
          importCachet(fresh.deps, { url: server.url, token: 'wrong' }, testActor, silentProgress),
        ).rejects.toThrow(/answered 401.*Check the API key or token/);
        expect((await fresh.deps.db.select({ n: count() }).from(components))[0]!.n).toBe(0);
      } finally {
        await fresh.close();
      }
    });
  });

  it('reads Cachet 3 rows (attributes, status values, time strings), an unknown status as operational, reported', async () => {
    const t = await createTestContext();
    const server = await serveSource(cachet3());
    try {
      const report = await importCachet(t.deps, { url: server.url }, testActor, silentProgress);
      expect(report.counts).toMatchObject({
        components: { created: 2 },
        incidents: { created: 1 },
      });
      const [c] = await t.deps.db.select().from(components).where(eqName('Checkout'));
      expect(c).toMatchObject({ status: 'partial_outage' });
      const [legacy] = await t.deps.db.select().from(components).where(eqName('Legacy'));
      expect(legacy).toMatchObject({ status: 'operational' });
      expect(report.unmapped).toEqual(['component "Legacy": status 0 read as operational']);
      const [i] = await t.deps.db.select().from(incidents);
      expect(i).toMatchObject({ title: 'Slow checkout', status: 'monitoring' });
      expect(i!.startedAt.toISOString()).toBe('2024-01-01T00:10:00.000Z');
    } finally {
      await server.close();
      await t.close();
    }
  });
  it('runs as npx herald import cachet, and refuses a missing --url naming it', async () => {
    const t = await createTestContext();
    const server = await serveSource(cachet3());
    try {
      const missing = await herald(t, ['import', 'cachet']);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/--url is required/);
      const r = await herald(t, ['import', 'cachet', '--url', server.url]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('incidents: 1 new, 0 already here');
      expect(r.out).toContain('Nobody was emailed.');
    } finally {
      await server.close();
      await t.close();
    }
  });
});

const eqName = (name: string) => eq(components.name, name);
