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
import { linkKey } from '../../server/domain/subscribers/tokens.ts';
import { api, makeToken } from '../helpers/api.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { herald } from './herald-process.ts';
import { serveSource } from './source-server.ts';

// Cachet 2 (`/api/v1`, `{data, meta.pagination}`) and Cachet 3 (`/api`, JSON:API-style rows
// with `attributes` and `links.next`), served as their API documentation shows them.

const TOKEN = 'cachet-token';
const at = (minutes: number) =>
  new Date(Date.UTC(2023, 0, 1) + minutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');

type CachetRoutes = Parameters<typeof serveSource>[0];

/**
 * One test's fresh Herald database and a Cachet API answering with `routes`, both closed after
 * `check` whether it passes or throws.
 */
async function withCachet(
  routes: CachetRoutes,
  check: (t: TestContext, server: Awaited<ReturnType<typeof serveSource>>) => Promise<void>,
) {
  const t = await createTestContext();
  const server = await serveSource(routes);
  try {
    await check(t, server);
  } finally {
    await server.close();
    await t.close();
  }
}

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
    await withCachet(cachet3(), async (t, server) => {
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
    });
  });
  it('runs as npx herald import cachet, and refuses a missing --url naming it', async () => {
    await withCachet(cachet3(), async (t, server) => {
      const missing = await herald(t, ['import', 'cachet']);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/--url is required/);
      const r = await herald(t, ['import', 'cachet', '--url', server.url]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('incidents: 1 new, 0 already here');
      expect(r.out).toContain('Nobody was emailed.');
    });
  });
});

const eqName = (name: string) => eq(components.name, name);

describe('what Cachet kept from guests stays off the public page', { timeout: 60_000 }, () => {
  // A Cachet token signs the importer in, and Cachet then lists every incident, including
  // those it shows only to signed-in users (Cachet 2 `visible: 0`; Cachet 3 `visible` 0,
  // "authenticated", or 2, "hidden"). Cachet's own times are wall-clock strings.
  const cachet2Hidden = () => {
    const list = (data: unknown[]) => ({
      meta: { pagination: { links: { next_page: null } } },
      data,
    });
    const incident = (id: number, name: string, visible: number, message: string) => ({
      id,
      component_id: 0,
      name,
      status: 4,
      visible,
      message,
      created_at: at(id * 100),
      updated_at: at(id * 100),
      occurred_at: at(id * 100),
    });
    return (url: URL, req: { headers: Record<string, string | string[] | undefined> }) => {
      const p = url.pathname;
      const signedIn = req.headers['x-cachet-token'] === TOKEN;
      if (p === '/api/v1/ping') return { body: { data: 'Pong!' } };
      if (
        p === '/api/v1/components/groups' ||
        p === '/api/v1/components' ||
        p === '/api/v1/schedules'
      )
        return { body: list([]) };
      if (p === '/api/v1/subscribers') return { body: list([]) };
      if (p === '/api/v1/incidents')
        return {
          body: list([
            incident(1, 'Checkout errors', 1, 'Some payments failed.'),
            ...(signedIn
              ? [
                  incident(
                    2,
                    'Breach at Acme Bank',
                    0,
                    'Customer Acme Bank lost data; legal is on it.',
                  ),
                ]
              : []),
          ]),
        };
      if (p === '/api/v1/incidents/1/updates')
        return {
          body: list([
            { id: 10, incident_id: 1, status: 2, message: 'Found the cause', created_at: at(130) },
            { id: 11, incident_id: 1, status: 4, message: 'Fixed', created_at: at(160) },
          ]),
        };
      if (p === '/api/v1/incidents/2/updates') return { body: list([]) };
      return null;
    };
  };

  it('keeps an incident Cachet 2 showed only to signed-in users for staff, off the public API and feed', async () => {
    await withCachet(cachet2Hidden(), async (t, server) => {
      const report = await importCachet(
        t.deps,
        { url: server.url, token: TOKEN },
        testActor,
        silentProgress,
      );
      expect(report.counts.incidents).toEqual({ created: 2, existing: 0 });
      const v2 = await (await t.app.request('/api/v2/incidents.json')).text();
      expect(v2).toContain('Checkout errors');
      expect(v2).not.toContain('Acme Bank');
      const feed = await (await t.app.request('/feed.rss')).text();
      expect(feed).not.toContain('Acme Bank');
      // Staff still have it in the record.
      const staff = api(t, (await makeToken(t, 'responder')).secret);
      expect(JSON.stringify((await staff.get('/api/admin/incidents')).json)).toContain(
        'Breach at Acme Bank',
      );
      expect(report.unmapped).toContain(
        'incident "Breach at Acme Bank": shown only to signed-in users in Cachet; imported for staff only',
      );
    });
  });

  it('opens an incident with later updates as investigating, not at the status it ended in', async () => {
    await withCachet(cachet2Hidden(), async (t, server) => {
      await importCachet(t.deps, { url: server.url }, testActor, silentProgress);
      const v2 = (await (await t.app.request('/api/v2/incidents.json')).json()) as {
        incidents: { name: string; incident_updates: { status: string; body: string }[] }[];
      };
      const checkout = v2.incidents.find((i) => i.name === 'Checkout errors')!;
      expect(checkout.incident_updates.map((u) => [u.status, u.body]).reverse()).toEqual([
        ['investigating', 'Some payments failed.'],
        ['identified', 'Found the cause'],
        ['resolved', 'Fixed'],
      ]);
    });
  });

  it('keeps Cachet 3 incidents for signed-in users or hidden off the public page, and reads when one occurred', async () => {
    const list = (data: unknown[]) => ({ data, links: { next: null } });
    const row = (id: number, name: string, visible: number, occurred: string, created: string) => ({
      id,
      type: 'incidents',
      attributes: {
        name,
        message: `${name}: details`,
        status: { human: 'Fixed', value: 4 },
        visible,
        occurred: { human: 'a while ago', string: occurred },
        created: { human: 'a while ago', string: created },
      },
    });
    const routes = (url: URL) => {
      const p = url.pathname;
      if (
        p === '/api/component-groups' ||
        p === '/api/components' ||
        p === '/api/schedules' ||
        p === '/api/subscribers'
      )
        return { body: list([]) };
      if (p === '/api/incidents')
        return {
          body: list([
            row(1, 'Slow search', 1, '2024-03-01 08:00:00', '2024-03-02 09:00:00'),
            row(2, 'Staff only: payroll DB', 0, '2024-03-03 08:00:00', '2024-03-03 08:00:00'),
            row(3, 'Hidden: vendor dispute', 2, '2024-03-04 08:00:00', '2024-03-04 08:00:00'),
          ]),
        };
      if (/^\/api\/incidents\/\d+\/updates$/.test(p)) return { body: list([]) };
      return null;
    };
    await withCachet(routes, async (t, server) => {
      await importCachet(t.deps, { url: server.url, token: TOKEN }, testActor, silentProgress);
      const v2 = (await (await t.app.request('/api/v2/incidents.json')).json()) as {
        incidents: { name: string; started_at: string }[];
      };
      expect(v2.incidents.map((i) => i.name)).toEqual(['Slow search']);
      // Filed a day after it happened: the page says when it happened.
      expect(v2.incidents[0]!.started_at).toMatch(/^2024-03-01T08:00:00/);
    });
  });
});

describe('Cachet components and times as Cachet meant them', { timeout: 60_000 }, () => {
  /** A Cachet 3 source with two components (one disabled) and one incident on each. */
  const cachet3Source = () => {
    const list = (data: unknown[]) => ({ data, links: { next: null } });
    const component = (id: number, name: string, enabled: boolean) => ({
      id,
      type: 'components',
      attributes: { name, status: { human: 'Operational', value: 1 }, enabled, order: id },
    });
    const incident = (id: number, name: string, componentId: number, occurred: string) => ({
      id,
      type: 'incidents',
      attributes: {
        name,
        message: `${name}: details`,
        status: { human: 'Fixed', value: 4 },
        visible: 1,
        component_id: componentId,
        occurred: { human: 'a while ago', string: occurred },
        created: { human: 'a while ago', string: occurred },
      },
    });
    return (url: URL) => {
      const p = url.pathname;
      if (p === '/api/component-groups' || p === '/api/schedules' || p === '/api/subscribers')
        return { body: list([]) };
      if (p === '/api/components')
        return {
          body: list([component(1, 'Checkout', true), component(2, 'Old billing', false)]),
        };
      if (p === '/api/incidents')
        return {
          body: list([
            incident(1, 'Checkout slow', 1, '2024-03-01 08:00:00'),
            incident(2, 'Billing job failed', 2, '2024-07-01 08:00:00'),
          ]),
        };
      if (/^\/api\/incidents\/\d+\/updates$/.test(p)) return { body: list([]) };
      return null;
    };
  };

  it('leaves a component Cachet had disabled off the public page, and says so', async () => {
    await withCachet(cachet3Source(), async (t, server) => {
      const report = await importCachet(t.deps, { url: server.url }, testActor, silentProgress);
      const v2 = (await (await t.app.request('/api/v2/components.json')).json()) as {
        components: { name: string }[];
      };
      expect(v2.components.map((c) => c.name)).toEqual(['Checkout']);
      expect(report.unmapped).toContain(
        'component "Old billing": disabled in Cachet (not on its page); not imported, and its incidents come over without it',
      );
      expect(report.counts.incidents).toEqual({ created: 2, existing: 0 });
    });
  });

  it('reads Cachet times in the --time-zone given, across a daylight-saving change', async () => {
    await withCachet(cachet3Source(), async (t, server) => {
      await importCachet(
        t.deps,
        { url: server.url, timeZone: 'Europe/Berlin' },
        testActor,
        silentProgress,
      );
      const v2 = (await (await t.app.request('/api/v2/incidents.json')).json()) as {
        incidents: { name: string; started_at: string }[];
      };
      const started = Object.fromEntries(v2.incidents.map((i) => [i.name, i.started_at]));
      // 08:00 in Berlin is 07:00 UTC in winter (CET) and 06:00 UTC in summer (CEST).
      expect(started['Checkout slow']).toMatch(/^2024-03-01T07:00:00/);
      expect(started['Billing job failed']).toMatch(/^2024-07-01T06:00:00/);
    });
  });

  it('refuses an unknown --time-zone naming the flag, having read and written nothing', async () => {
    await withCachet(cachet3Source(), async (t, server) => {
      const r = await herald(t, [
        'import',
        'cachet',
        '--url',
        server.url,
        '--time-zone',
        'Europe/Atlantis',
      ]);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/--time-zone must be an IANA time zone such as Europe\/Berlin/);
      expect(server.seen).toEqual([]);
      expect((await t.deps.db.select({ n: count() }).from(incidents))[0]!.n).toBe(0);
    });
  });
});

describe(
  'npx herald import while another process holds the write lock',
  { timeout: 60_000 },
  () => {
    it('waits for the lock, says so, and then imports every subscriber', async () => {
      const t = await createTestContext();
      const list = (data: unknown[]) => ({ data, links: { next: null } });
      const people = Array.from({ length: 3 }, (_, i) => ({
        id: i + 1,
        type: 'subscribers',
        attributes: { email: `held${i + 1}@example.org`, verified_at: '2024-01-01 00:00:00' },
      }));
      // The server made its link key long ago; the import only reads it.
      await linkKey(t.deps.db, t.deps.config);
      // Another process takes the write lock once the importer has started and reads the source:
      // the import's first write (the subscribers) meets the held lock.
      let lock: Awaited<ReturnType<typeof holdWriteLock>> | undefined;
      const server = await serveSource(async (url) => {
        const p = url.pathname;
        if (p === '/api/subscribers') {
          lock ??= await holdWriteLock(t.dbUrl, 'until-released');
          return { body: list(people) };
        }
        if (/^\/api\/(component-groups|components|incidents|schedules)$/.test(p))
          return { body: list([]) };
        return null;
      });
      try {
        let said = false;
        const r = await herald(
          t,
          ['import', 'cachet', '--url', server.url, '--token', TOKEN],
          (err) => {
            if (
              !said &&
              err.includes('waiting for the database: another process holds the write lock')
            ) {
              said = true;
              lock!.release();
            }
          },
          // A write gives up after 1 s instead of 10 s, so the import meets the held lock at once.
          { DATABASE_WRITE_WAIT_SECONDS: '1' },
        );
        expect(said, r.err).toBe(true);
        expect(r.code, r.err).toBe(0);
        expect(r.out).toContain('subscribers: 3 new, 0 already here');
        const rows = await t.deps.db.select().from(subscribers);
        expect(rows.map((s) => s.email).sort()).toEqual([
          'held1@example.org',
          'held2@example.org',
          'held3@example.org',
        ]);
      } finally {
        lock?.kill();
        await server.close();
        await t.close();
      }
    });
  },
);
