import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  components,
  deliveries,
  importMappings,
  incidents,
  incidentUpdates,
  maintenances,
  outboxMessages,
  subscribers,
  webhookDeliveries,
} from '../../db/schema/index.ts';
import { formatReport } from '../../server/importers/cli-output.ts';
import { deleteComponent } from '../../server/domain/components/update-component.ts';
import { ConflictError, NotFoundError } from '../../server/domain/shared/errors.ts';
import { each, newReport, silentProgress } from '../../server/importers/source.ts';
import { importStatuspage } from '../../server/importers/statuspage.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { herald, type Run } from './herald-process.ts';
import { serveSource } from './source-server.ts';
import { ODD_NAME, statuspageRoutes, statuspageSource } from './statuspage-fixture.ts';

// `npx herald import statuspage` against a local server that answers as statuspage.io and
// api.statuspage.io document it: a page with hundreds of incidents, paged, odd text included.
// The command runs as a process where the process is what is tested (the first import's output,
// a kill mid-import, refused flags); a run that tests the importer itself (running again,
// retries, paging) calls it here, with the command's own report and progress lines.

const INCIDENTS = 300;
const SUBSCRIBERS = 250;
const KEY = 'sp-secret-key';

async function tally(t: TestContext) {
  const n = async (table: Parameters<ReturnType<typeof t.deps.db.select>['from']>[0]) =>
    (await t.deps.db.select({ n: count() }).from(table))[0]!.n;
  return {
    components: await n(components),
    incidents: await n(incidents),
    updates: await n(incidentUpdates),
    maintenances: await n(maintenances),
    subscribers: await n(subscribers),
    mappings: await n(importMappings),
    audit: await n(auditLog),
  };
}

/** The import `npx herald import statuspage <args>` runs, in this process, as a Run. */
async function importHere(t: TestContext, args: string[]): Promise<Run> {
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i < 0 ? undefined : args[i + 1];
  };
  let err = '';
  const report = await importStatuspage(
    t.deps,
    {
      pageUrl: flag('page-url')!,
      apiKey: flag('api-key'),
      pageId: flag('page-id'),
      apiUrl: flag('api-url'),
    },
    testActor,
    {
      step: (what, done, total) => (err += `${what}: ${done} of ${total}\n`),
      note: (message) => (err += `${message}\n`),
    },
  );
  return { code: 0, out: formatReport(report), err };
}

async function nothingSent(t: TestContext) {
  for (const table of [outboxMessages, deliveries, webhookDeliveries])
    expect((await t.deps.db.select({ n: count() }).from(table))[0]!.n).toBe(0);
}

describe('npx herald import statuspage', { timeout: 180_000 }, () => {
  const src = statuspageSource({ incidents: INCIDENTS, subscribers: SUBSCRIBERS });
  let server: Awaited<ReturnType<typeof serveSource>>;
  beforeAll(async () => {
    server = await serveSource(statuspageRoutes(src, KEY));
  });
  afterAll(() => server.close());

  const withKey = () => [
    'import',
    'statuspage',
    '--page-url',
    server.url,
    '--api-key',
    KEY,
    '--page-id',
    src.pageId,
    '--api-url',
    `${server.url}/v1`,
  ];

  describe('with an API key', () => {
    let t: TestContext;
    /** The first import's run, whose report the tests below read. */
    let first: Run;
    beforeAll(async () => {
      t = await createTestContext();
    });
    afterAll(() => t.close());

    it('brings components, groups, every incident with every update, maintenances and subscribers, emailing nobody', async () => {
      const r = (first = await herald(t, withKey()));
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('components: 5 new, 0 already here');
      expect(r.out).toContain(`incidents: ${INCIDENTS} new, 0 already here`);
      expect(r.out).toContain('maintenances: 2 new, 0 already here');
      expect(r.out).toContain(`subscribers: ${SUBSCRIBERS + 1} new, 0 already here`);
      expect(r.out).toContain('Nobody was emailed.');
      expect(r.err).toMatch(/incidents: 300 of 300/);

      const c = await tally(t);
      expect(c).toMatchObject({ components: 5, incidents: INCIDENTS, maintenances: 2 });
      expect(c.updates).toBe((INCIDENTS - 1) * 3 + 1);
      await nothingSent(t);

      const all = await t.deps.db.select().from(components);
      const group = all.find((x) => x.name === 'Payments')!;
      expect(group.isGroup).toBe(true);
      expect(
        all
          .filter((x) => x.groupId === group.id)
          .map((x) => x.name)
          .sort(),
      ).toEqual([ODD_NAME, 'Payouts'].sort());
      expect(all.find((x) => x.name === 'API')!.status).toBe('degraded_performance');
    });

    it('maps impact to priority, keeps metadata.herald.priority, and reads postmortem as resolved', async () => {
      const rows = await t.deps.db.select().from(incidents);
      const byTitle = new Map(rows.map((r) => [r.title, r]));
      expect(byTitle.get('Incident 1')!.priority).toBe(1); // major
      expect(byTitle.get('Incident 4')!.priority).toBe(0); // critical
      expect(byTitle.get('Incident 6')!.priority).toBe(2); // minor
      expect(byTitle.get('Incident 7')!.priority).toBe(3); // none
      expect(byTitle.get('Incident 3')!.priority).toBe(0); // none, but metadata says P0
      expect(byTitle.get('Incident 7')!.status).toBe('resolved');
      expect(byTitle.get(`Incident ${INCIDENTS}`)!.status).toBe('investigating');
      expect(byTitle.get(ODD_NAME)).toBeDefined();
    });

    it('shows the history on the public JSON as it happened, odd characters intact', async () => {
      const v2 = (await (await t.app.request('/api/v2/incidents.json')).json()) as {
        incidents: { name: string; incident_updates: { body: string; status: string }[] }[];
      };
      expect(v2.incidents[0]!.name).toBe(`Incident ${INCIDENTS}`);
      const first = await t.deps.db
        .select()
        .from(incidentUpdates)
        .where(eq(incidentUpdates.body, `Ümlauts, quotes "here" & <script>alert(1)</script>`));
      expect(first).toHaveLength(1);
      // An empty update at the source reads as Statuspage's own text for its status.
      const identified = await t.deps.db
        .select()
        .from(incidentUpdates)
        .where(eq(incidentUpdates.status, 'identified'));
      expect(identified[0]!.body).toBe(
        'The issue has been identified and a fix is being implemented.',
      );
    });

    it('brings confirmed subscribers confirmed and unconfirmed ones pending, with their components', async () => {
      const rows = await t.deps.db.select().from(subscribers);
      const waiting = rows.find((s) => s.email === 'waiting@example.org')!;
      expect(waiting.state).toBe('pending');
      expect(waiting.confirmTokenHash).toBeNull();
      const one = rows.find((s) => s.email === 'person1@example.org')!;
      expect(one.state).toBe('confirmed');
      const api = (await t.deps.db.select().from(components)).find((c) => c.name === 'API')!;
      expect(one.componentIds).toEqual([api.id]);
      expect(rows.find((s) => s.email === 'person2@example.org')!.componentIds).toBeNull();
      expect(rows.find((s) => s.email === 'bounced@example.org')).toBeUndefined();
    });

    it('reports what it could not map: sms subscribers, bounced addresses, templates', async () => {
      const r = first;
      expect(r.out).toMatch(/sms subscriptions have no Herald counterpart/);
      expect(r.out).toMatch(/bounced@example\.org: quarantined/);
      expect(r.out).toMatch(/1 incident templates not imported.*"Database failover"/);
    });

    it('changes nothing when run again', async () => {
      const before = await tally(t);
      const r = await importHere(t, withKey());
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`incidents: 0 new, ${INCIDENTS} already here`);
      expect(r.out).toContain('components: 0 new, 5 already here');
      const after = await tally(t);
      // The subscriber import leaves one audit entry saying it found everyone there.
      expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
      await nothingSent(t);
    });
  });

  it('finishes without doubles after being killed mid-import and run again', async () => {
    const t = await createTestContext();
    try {
      const killed = await herald(t, withKey(), (err, child) => {
        if (/incidents: 100 of/.test(err)) child.kill('SIGKILL');
      });
      expect(killed.code).toBe(-1);
      const partial = (await tally(t)).incidents;
      expect(partial).toBeGreaterThanOrEqual(100);
      expect(partial).toBeLessThan(INCIDENTS);
      const r = await importHere(t, withKey());
      expect(r.code, r.err).toBe(0);
      const c = await tally(t);
      expect(c.incidents).toBe(INCIDENTS);
      expect(c.updates).toBe((INCIDENTS - 1) * 3 + 1);
      expect(c.components).toBe(5);
      expect(c.mappings).toBe(5 + INCIDENTS + 2);
    } finally {
      await t.close();
    }
  });

  it('asks again when the source answers 503 or 429, and brings everything once', async () => {
    const routes = statuspageRoutes(src, KEY);
    const refused = new Set<string>();
    const flaky = await serveSource((url, req) => {
      const key = `${url.pathname}${url.search}`;
      // The first ask for the second page of incidents and of subscribers is refused.
      if (/page=2&/.test(url.search) && !refused.has(key)) {
        refused.add(key);
        return key.includes('subscribers')
          ? { status: 429, body: { error: 'rate limited' }, headers: { 'retry-after': '0' } }
          : { status: 503, body: 'upstream down' };
      }
      return routes(url, req);
    });
    const t = await createTestContext();
    try {
      const r = await importHere(t, [
        'import',
        'statuspage',
        '--page-url',
        flaky.url,
        '--api-key',
        KEY,
        '--page-id',
        src.pageId,
        '--api-url',
        `${flaky.url}/v1`,
      ]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/answered 503; trying again/);
      expect(r.err).toMatch(/answered 429; trying again in 0 s/);
      const c = await tally(t);
      expect(c.incidents).toBe(INCIDENTS);
      expect(c.subscribers).toBe(SUBSCRIBERS + 1);
    } finally {
      await t.close();
      await flaky.close();
    }
  });

  it('reads every incident from a public JSON that pages, without a key', async () => {
    const paging = await serveSource(statuspageRoutes(src, KEY, { v2Pages: true }));
    const t = await createTestContext();
    try {
      const r = await importHere(t, ['import', 'statuspage', '--page-url', paging.url]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`incidents: ${INCIDENTS} new`);
      expect((await tally(t)).subscribers).toBe(0);
      expect(paging.seen).toContain('GET /api/v2/incidents.json?page=7');
    } finally {
      await t.close();
      await paging.close();
    }
  });

  it('refuses bad input naming the flag, a wrong key and a page that is not Statuspage, changing nothing', async () => {
    const t = await createTestContext();
    const other = await serveSource(() => ({ body: { hello: 'world' } }));
    try {
      const before = await tally(t);
      const cases: [string[], RegExp][] = [
        [['import', 'statuspage'], /--page-url is required/],
        [['import', 'statuspage', '--page-url', 'not a url'], /--page-url must be a URL/],
        [['import', 'statuspage', '--page-url', 'ftp://x.example'], /--page-url must be an http/],
        [
          ['import', 'statuspage', '--page-url', server.url, '--api-key', KEY],
          /--api-key and --page-id go together/,
        ],
        [
          [
            'import',
            'statuspage',
            '--page-url',
            server.url,
            '--api-key',
            'wrong',
            '--page-id',
            src.pageId,
            '--api-url',
            `${server.url}/v1`,
          ],
          /answered 401.*Check the API key/,
        ],
        [
          ['import', 'statuspage', '--page-url', `${server.url}/nowhere`],
          /answered 404.*Check the URL/,
        ],
        [
          ['import', 'statuspage', '--page-url', other.url],
          /components\.json is not in Statuspage's shape \(page: /,
        ],
      ];
      // Side by side: each is refused before it writes anything, so none waits on another.
      const runs = await Promise.all(cases.map(([args]) => herald(t, args)));
      for (const [i, [args, message]] of cases.entries()) {
        expect(runs[i]!.code, args.join(' ')).toBe(1);
        expect(runs[i]!.err, args.join(' ')).toMatch(message);
      }
      expect(await tally(t)).toEqual(before);
    } finally {
      await other.close();
      await t.close();
    }
  });
});

describe('Statuspage subscribers whose chosen components did not come over', () => {
  it('reports one whose every chosen component is unknown instead of subscribing them to everything, and keeps the known part of a mixed choice', async () => {
    const src = statuspageSource({ incidents: 2, subscribers: 2 });
    const known = src.components.find((c) => !c.group)!;
    const person = (email: string, chosen: string[]) => ({
      ...(src.subscribers.active[0] as Record<string, unknown>),
      id: `sub-${email}`,
      email,
      components: chosen,
    });
    src.subscribers.active.push(
      person('gone@example.org', ['deleted-at-source']),
      person('mixed@example.org', [known.id as string, 'deleted-at-source']),
      person('everything@example.org', []),
    );
    const server = await serveSource(statuspageRoutes(src, KEY));
    const t = await createTestContext();
    try {
      const r = await importHere(t, [
        '--page-url',
        server.url,
        '--api-key',
        KEY,
        '--page-id',
        src.pageId,
        '--api-url',
        `${server.url}/v1`,
      ]);
      expect(r.out).toMatch(
        /subscriber gone@example\.org: chose only components not in Herald \(deleted-at-source\); not imported/,
      );
      expect(r.out).toMatch(
        /subscriber mixed@example\.org: chosen component deleted-at-source not in Herald; subscribed to the others/,
      );
      const rows = await t.deps.db.select().from(subscribers);
      const byEmail = new Map(rows.map((s) => [s.email, s]));
      expect(byEmail.has('gone@example.org')).toBe(false);
      const [mixedChoice] = byEmail.get('mixed@example.org')!.componentIds!;
      const [herald] = await t.deps.db
        .select()
        .from(components)
        .where(eq(components.id, mixedChoice!));
      expect(herald!.name).toBe(known.name);
      expect(byEmail.get('mixed@example.org')!.componentIds).toHaveLength(1);
      // No choice at Statuspage means every component, as it did there.
      expect(byEmail.get('everything@example.org')!.componentIds).toBeNull();
    } finally {
      await t.close();
      await server.close();
    }
  });
});

describe('an object Herald cannot take is reported, and the import goes on', () => {
  it('skips an incident naming a component deleted in Herald since the last run, and imports the rest', async () => {
    const src = statuspageSource({ incidents: 3, subscribers: 0 });
    const server = await serveSource(statuspageRoutes(src, KEY));
    const t = await createTestContext();
    const args = ['--page-url', server.url];
    try {
      await importHere(t, args);
      const [api] = await t.deps.db.select().from(components).where(eq(components.name, 'API'));
      await deleteComponent(t.deps, { componentId: api!.id }, testActor);
      // Two incidents opened at the source since: one on the deleted component, one on none.
      const later = (n: number, name: string, on: unknown[]) => ({
        ...src.incidents[0]!,
        id: `later${n}`,
        name,
        created_at: new Date(Date.UTC(2030, 0, n)).toISOString(),
        incident_updates: [],
        components: on,
      });
      src.incidents.unshift(
        later(1, 'API down again', [{ ...src.components[0]!, status: 'major_outage' }]),
        later(2, 'Website slow', []),
      );
      const r = await importHere(t, args);
      expect(r.out).toContain('incidents: 1 new, 3 already here');
      expect(r.out).toMatch(/incident "API down again" \(later1\): No component with id \w+\./);
      const titles = (await t.deps.db.select().from(incidents)).map((i) => i.title);
      expect(titles).toContain('Website slow');
      expect(titles).not.toContain('API down again');
    } finally {
      await t.close();
      await server.close();
    }
  });
});

describe('the import walk: what skips an object and what stops the import', () => {
  it('reports a conflict and an unknown reference, each with its object, and goes on with the rest', async () => {
    const t = await createTestContext();
    try {
      const ctx = {
        deps: t.deps,
        actor: testActor,
        progress: silentProgress,
        report: newReport('x'),
      };
      const done: string[] = [];
      await each(
        ctx,
        'things',
        ['a', 'b', 'c', 'd'],
        (x) => `thing ${x}`,
        async (x) => {
          if (x === 'b')
            throw new ConflictError('Another import brought it over at the same time.');
          if (x === 'c') throw new NotFoundError('component', 'gone1');
          done.push(x);
          return true;
        },
      );
      expect(done).toEqual(['a', 'd']);
      expect(ctx.report.counts.things).toEqual({ created: 2, existing: 0 });
      expect(ctx.report.unmapped).toEqual([
        'thing b: Another import brought it over at the same time.',
        'thing c: No component with id gone1.',
      ]);
    } finally {
      await t.close();
    }
  });

  it('stops at a database another process holds locked, saying so, and a second run finishes without doubles', async () => {
    const src = statuspageSource({ incidents: 4, subscribers: 0 });
    const server = await serveSource(statuspageRoutes(src, KEY));
    const t = await createTestContext({ env: { DATABASE_WRITE_WAIT_SECONDS: '1' } });
    const args = ['--page-url', server.url];
    const lock = await holdWriteLock(t.dbUrl, 'until-released');
    try {
      await expect(importHere(t, args)).rejects.toThrow(/database is busy/);
      lock.release();
      await lock.released;
      const r = await importHere(t, args);
      expect(r.out).toContain('components: 5 new, 0 already here');
      expect(r.out).toContain('incidents: 4 new, 0 already here');
      expect(r.out).not.toMatch(/database is busy/);
      expect(await tally(t)).toMatchObject({ components: 5, incidents: 4, maintenances: 2 });
    } finally {
      lock.kill();
      await t.close();
      await server.close();
    }
  });
});
