import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleIncidentUpdate } from '../../server/domain/incidents/schedule-update.ts';
import { readLists } from '../../server/domain/lists/read-lists.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { importSubscribers } from '../../server/domain/subscribers/import-subscribers.ts';
import { searchSubscribers } from '../../server/domain/subscribers/admin-subscribers.ts';
import { makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { listen } from '../helpers/server.ts';
import { fingerprintWatch } from '../helpers/fingerprint-watch.ts';
import { makeUser } from '../helpers/site.ts';
import { fileReport } from '../triage/helpers.ts';

interface FieldSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  minimum?: number;
  anyOf?: FieldSchema[];
}
interface Op {
  method: string;
  path: string;
  fields: string[];
  properties: Record<string, FieldSchema>;
  required: string[];
  query: string[];
}

/** Values no field of the admin API takes in that shape. */
const badValues: unknown[] = [
  null,
  '',
  [],
  {},
  true,
  false,
  -1,
  1.5,
  1e308,
  '0',
  'x'.repeat(20_000),
  '\u0000\u202e\ud83d\ude00 ☃',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  [{ nested: [null] }],
  { componentId: null, status: 'exploded' },
];

/** Whole bodies that are not a JSON object of the right shape. */
const badBodies: string[] = [
  '',
  'null',
  '[]',
  '""',
  '0',
  'true',
  '{',
  '{"a":',
  '[{}]',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{}}}',
  `"${'x'.repeat(70_000)}"`,
];

describe('admin API fuzz: every operation in the OpenAPI table refuses bad input and changes nothing', () => {
  let t: TestContext;
  let secret: string;
  let ops: Op[];
  let ids: Record<string, string>;
  /** The store, hashed again only when something was committed since it last was. */
  let store: ReturnType<typeof fingerprintWatch>;

  beforeAll(async () => {
    t = await createTestContext();
    store = fingerprintWatch(t);
    secret = (await makeToken(t, 'admin')).secret;
    const component = await makeComponent(t.deps);
    const { incident } = await makeIncident(t.deps, { priority: 2 });
    const soon = new Date(t.clock.now().getTime() + 3_600_000);
    const maintenance = await scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade',
        description: 'Short read-only window.',
        scheduledFor: soon,
        scheduledUntil: new Date(soon.getTime() + 3_600_000),
      },
      testActor,
    );
    const scheduled = await scheduleIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: 'Later.', scheduledFor: soon },
      testActor,
    );
    const [list] = await readLists(t.deps.db);
    await importSubscribers(
      t.deps,
      { listId: list!.id, csv: 'email\nann@example.com\n' },
      testActor,
    );
    const [subscriber] = (await searchSubscribers(t.deps, {}, testActor)).subscribers;
    const { id: tokenId } = await makeToken(t, 'responder', 'fuzz-target');
    // Reports, drills and users have operations of their own: give them real ids too.
    const reporter = await makeUser(t, 'responder');
    const report = await fileReport(t, {
      type: 'user',
      id: reporter.id,
      label: reporter.email,
      role: 'responder',
    });
    ids = {
      components: component.id,
      incidents: incident.id,
      maintenance: maintenance.id,
      'scheduled-updates': scheduled.id,
      lists: list!.id,
      subscribers: subscriber!.id,
      tokens: tokenId,
      broadcasts: 'nobroadcast',
      reports: report.id,
      users: reporter.id,
    };

    const doc = (await (await t.app.request('/api/admin/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; in: string }[];
            requestBody?: {
              content: {
                'application/json': {
                  schema: { properties?: Record<string, FieldSchema>; required?: string[] };
                };
              };
            };
          }
        >
      >;
    };
    ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path: path.replace(/^\/api\/admin/, ''),
        fields: Object.keys(op.requestBody?.content['application/json'].schema.properties ?? {}),
        properties: op.requestBody?.content['application/json'].schema.properties ?? {},
        required: op.requestBody?.content['application/json'].schema.required ?? [],
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      })),
    );
  });
  afterAll(async () => {
    // A refused request that changed the store fails its test, so none is counted here.
    console.log(
      `admin API fuzz: ${counts.requests} requests, ${counts.fiveXx} answered 5xx, 0 state changes on refused requests; the store compared ${store?.counts.taken} times, hashed ${store?.counts.hashed}`,
    );
    store?.close();
    await t.close();
  });

  /**
   * A plausible body from the operation's own JSON schema (its required fields, each a value of
   * its type), so that one bad field at a time is checked beside good ones.
   */
  function sampleBody(op: Op): Record<string, unknown> {
    let hours = 1;
    const sample = (name: string, f: FieldSchema): unknown => {
      if (f.anyOf) return sample(name, f.anyOf.find((o) => o.type !== 'null') ?? {});
      if (f.enum) return f.enum[0];
      if (f.format === 'date-time')
        return new Date(t.clock.now().getTime() + hours++ * 3_600_000).toISOString();
      if (f.type === 'number' || f.type === 'integer') return f.minimum ?? 1;
      if (f.type === 'boolean') return false;
      if (f.type === 'array') return [];
      if (name.endsWith('Id')) return ids[`${name.slice(0, -2)}s`] ?? 'x';
      if (name === 'email' || name === 'to') return 'someone@example.com';
      if (name === 'password') return 'a long enough passphrase';
      return 'Fuzz text';
    };
    return Object.fromEntries(op.required.map((k) => [k, sample(k, op.properties[k] ?? {})]));
  }

  const url = (op: Pick<Op, 'path'>, id?: string) =>
    `/api/admin${op.path.replace('{id}', encodeURIComponent(id ?? ids[op.path.split('/')[1]!] ?? 'x'))}`;

  const counts = { requests: 0, fiveXx: 0 };
  async function send(method: string, path: string, body?: BodyInit, type?: string) {
    const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
    if (type) headers['content-type'] = type;
    const res = await t.app.request(path, { method, headers, body });
    counts.requests++;
    if (res.status >= 500) counts.fiveXx++;
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text };
  }

  /**
   * The store once a valid write is over, including what it goes on doing in the background (a
   * subscriber import started by POST /lists/{id}/imports writes its rows after answering 202).
   */
  async function afterValidWrite() {
    await Promise.allSettled([...t.deps.imports.live.values()].map((l) => l.finished));
    return store.take();
  }

  /** A 4xx with a JSON error code, checked in plain code first: the fuzz makes about 12,000. */
  function expectRefusal(r: Awaited<ReturnType<typeof send>>, what: string) {
    if (r.status >= 400 && r.status < 500 && /^application\/json/.test(r.type)) {
      let code: unknown;
      try {
        code = (JSON.parse(r.text) as { error?: { code?: unknown } }).error?.code;
      } catch {
        // Not JSON after all: the expectations below say so.
      }
      if (typeof code === 'string') return;
    }
    expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBeLessThan(500);
    expect(r.type, what).toMatch(/^application\/json/);
    expect(typeof JSON.parse(r.text).error.code, what).toBe('string');
  }

  it('covers every operation of the table, writes included', () => {
    expect(ops.length).toBeGreaterThan(40);
    expect(ops.filter((o) => o.fields.length > 0).length).toBeGreaterThan(20);
  });

  it('changes the store for a valid request (the positive control of the snapshot)', async () => {
    const before = await store.take();
    const r = await send(
      'POST',
      '/api/admin/components',
      JSON.stringify({ name: 'Control' }),
      'application/json',
    );
    expect(r.status).toBe(201);
    expect(await store.take()).not.toEqual(before);
  });

  it('refuses bodies of the wrong shape, wrong field types and unknown fields on every write', async () => {
    for (const op of ops.filter((o) => o.fields.length > 0)) {
      let before = await store.take();
      for (const body of badBodies) {
        // A few steps take an empty body on purpose ("start now"); every other shape is refused.
        if (body === '') continue;
        expectRefusal(
          await send(op.method, url(op), body, 'application/json'),
          `${op.method} ${op.path} ${body.slice(0, 30)}`,
        );
      }
      // Every field at once: checks across fields (an end after a start) see the bad values too.
      for (const value of badValues) {
        const all = Object.fromEntries(op.fields.map((f) => [f, value]));
        const r = await send(op.method, url(op), JSON.stringify(all), 'application/json');
        if (r.status < 300) {
          before = await afterValidWrite(); // a valid write (an owner of null hands it to nobody)
          continue;
        }
        expectRefusal(
          r,
          `${op.method} ${op.path} every field=${JSON.stringify(value)?.slice(0, 40)}`,
        );
      }
      for (const field of [...op.fields, 'notAField']) {
        const bases = [{}, sampleBody(op)];
        for (const [value, base] of badValues.flatMap((v) => bases.map((b) => [v, b] as const))) {
          const r = await send(
            op.method,
            url(op),
            JSON.stringify({ ...base, [field]: value }),
            'application/json',
          );
          // Some fields take some of these on their own (a page named "0"): the write is real,
          // so the store is compared from here on. Everything else must be refused.
          if (r.status < 300) {
            before = await afterValidWrite();
            continue;
          }
          expectRefusal(
            r,
            `${op.method} ${op.path} ${field}=${JSON.stringify(value)?.slice(0, 40)}`,
          );
        }
      }
      expect(await store.take(), `${op.method} ${op.path}`).toEqual(before);
    }
  }, 180_000); // thousands of requests, and every write they make is re-snapshotted

  it('refuses wrong content types and bytes that are not UTF-8 on every write', async () => {
    const latin1 = new Uint8Array([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]); // {"t":"é"}
    for (const op of ops.filter((o) => o.fields.length > 0)) {
      const before = await store.take();
      const cases: [BodyInit, string | undefined, number][] = [
        ['title=x&priority=0', 'application/x-www-form-urlencoded', 415],
        ['{"title":"x"}', 'text/plain', 415],
        ['{"title":"x"}', undefined, 415],
        ['{"title":"x"}', 'application/json; charset=iso-8859-1', 415],
        [
          '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n',
          'multipart/form-data; boundary=b',
          415,
        ],
        [latin1, 'application/json', 400],
      ];
      for (const [body, type, status] of cases) {
        const r = await send(op.method, url(op), body, type);
        expectRefusal(r, `${op.method} ${op.path} as ${type}`);
        expect(r.status, `${op.method} ${op.path} as ${type}`).toBe(status);
      }
      expect(await store.take(), `${op.method} ${op.path}`).toEqual(before);
    }
  });

  it('answers odd query parameters with a 4xx naming the parameter, and changes nothing', async () => {
    const withQuery = ops.filter((o) => o.query.length > 0);
    expect(withQuery.length).toBeGreaterThan(2);
    for (const op of withQuery) {
      const before = await store.take();
      for (const name of [...op.query, 'notAParameter']) {
        for (const value of ['-1', 'abc', '1e3', '', 'x'.repeat(5000), '☃', '%00', '0x10']) {
          const r = await send(op.method, `${url(op)}?${name}=${encodeURIComponent(value)}`);
          // A text filter may take any of these; everything else is refused by name.
          if (r.status === 200) continue;
          expectRefusal(r, `${op.method} ${op.path}?${name}=${value.slice(0, 20)}`);
          expect(JSON.parse(r.text).error.fields, `${op.path}?${name}`).toHaveProperty(name);
        }
      }
      expect(await store.take(), op.path).toEqual(before);
    }
    const unknown = await send('GET', '/api/admin/audit?limt=5');
    expect(unknown.status).toBe(422);
  });

  it('answers odd path ids with a 4xx on every operation that takes one', async () => {
    for (const op of ops.filter((o) => o.path.includes('{id}'))) {
      const before = await store.take();
      for (const id of ['0', '-1', 'null', '☃🙂', 'x'.repeat(5000), "' or 1=1 --", '%00']) {
        const body = op.fields.length ? '{}' : undefined;
        expectRefusal(
          await send(op.method, url(op, id), body, body ? 'application/json' : undefined),
          `${op.method} ${op.path} id=${id.slice(0, 20)}`,
        );
      }
      expect(await store.take(), `${op.method} ${op.path}`).toEqual(before);
    }
  });

  it('answers methods a path does not take with 405 and Allow, over a real socket (TRACE included)', async () => {
    const server = await listen(t);
    try {
      const before = await store.take();
      const paths = [...new Set(ops.map((o) => o.path))];
      for (const path of paths) {
        const target = url({ path });
        // Methods some operation answers at this URL (`/subscribers/import` is also `/subscribers/{id}`).
        const taken = ops
          .filter((o) => new RegExp(`^${o.path.replace('{id}', '[^/]+')}$`).test(target.slice(10)))
          .map((o) => o.method);
        for (const method of ['TRACE', 'PUT', 'OPTIONS', 'PROPFIND', 'PATCH', 'DELETE', 'POST']) {
          if (taken.includes(method)) continue;
          const r = await raw(server.base, method, target, secret);
          expect(r.status, `${method} ${path}`).toBe(405);
          expect(r.headers.allow, `${method} ${path}`).toBeTruthy();
          expect(JSON.parse(r.body).error.code).toBe('method_not_allowed');
        }
      }
      expect(await store.take()).toEqual(before);
    } finally {
      await server.close();
    }
  });
});

/** One request through Node's client, which (unlike fetch) sends any method, TRACE included. */
function raw(base: string, method: string, path: string, secret: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const req = http.request(
        `${base}${path}`,
        { method, headers: { authorization: `Bearer ${secret}` } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}
