import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  components,
  incidents,
  incidentUpdates,
  maintenances,
  settings,
  subscribers,
} from '../../db/schema/index.ts';
import { makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

// Bad input on every write of the management API: a 4xx with Statuspage's error body, never a
// 5xx, and nothing written (not even an audit entry).

describe('management API refuses bad input everywhere and changes nothing', () => {
  let t: TestContext;
  let key: string;
  let paths: { method: string; path: string; wraps: string }[];

  const snapshot = async () => {
    const out: Record<string, number> = {};
    for (const [name, table] of Object.entries({
      auditLog,
      components,
      incidents,
      incidentUpdates,
      maintenances,
      subscribers,
    }))
      out[name] = (await t.deps.db.select({ n: count() }).from(table))[0]!.n;
    const [s] = await t.deps.db.select().from(settings);
    out.changeCounter = s!.changeCounter;
    return out;
  };

  beforeAll(async () => {
    t = await createTestContext();
    key = (await makeToken(t, 'admin')).secret;
    const page = (await t.deps.reader.page()).id;
    const component = await makeComponent(t.deps, { name: 'API' });
    const group = await makeComponent(t.deps, { name: 'Core', isGroup: true });
    const { incident } = await makeIncident(t.deps, { title: 'Open' });
    const base = `/v1/pages/${page}`;
    paths = [
      { method: 'PATCH', path: base, wraps: 'page' },
      { method: 'POST', path: `${base}/components`, wraps: 'component' },
      { method: 'PATCH', path: `${base}/components/${component.id}`, wraps: 'component' },
      { method: 'POST', path: `${base}/component-groups`, wraps: 'component_group' },
      { method: 'PUT', path: `${base}/component-groups/${group.id}`, wraps: 'component_group' },
      { method: 'POST', path: `${base}/incidents`, wraps: 'incident' },
      { method: 'PATCH', path: `${base}/incidents/${incident.id}`, wraps: 'incident' },
      { method: 'POST', path: `${base}/subscribers`, wraps: 'subscriber' },
    ];
  });
  afterAll(() => t.close());

  const send = async (method: string, path: string, body: string, type = 'application/json') => {
    const res = await t.app.request(path, {
      method,
      headers: { authorization: `OAuth ${key}`, 'content-type': type },
      body,
    });
    const text = await res.text();
    return { status: res.status, json: JSON.parse(text) as { error: unknown } };
  };

  it('answers every malformed body with a 4xx and a string error, writing nothing', async () => {
    const before = await snapshot();
    for (const { method, path, wraps } of paths) {
      const bodies: [string, string?][] = [
        ['null'],
        ['[]'],
        ['"text"'],
        ['42'],
        ['{}'],
        ['not json at all'],
        ['{"a":'],
        [JSON.stringify({ [wraps]: null })],
        [JSON.stringify({ [wraps]: [] })],
        [JSON.stringify({ [wraps]: 'x' })],
        [JSON.stringify({ [wraps]: { name: 123 } })],
        [JSON.stringify({ [wraps]: { name: { $gt: '' } } })],
        [JSON.stringify({ [wraps]: { email: ['a@example.org'] } })],
        [JSON.stringify({ [wraps]: { unknown_field: true } })],
        [JSON.stringify({ [wraps]: {}, extra: 1 })],
        [JSON.stringify({ [wraps]: { status: 'exploded' } })],
        [JSON.stringify({ [wraps]: { name: 'x', components: { a: 'broken' } } })],
        [JSON.stringify({ [wraps]: { name: 'x', scheduled_for: '1970-01-01T00:00:00Z' } })],
        ['{"incident": {"name": "x"}}', 'text/plain'],
        [
          `${wraps}[name]=${'x'.repeat(300)}&${wraps}[status]=nope`,
          'application/x-www-form-urlencoded',
        ],
      ];
      for (const [body, type] of bodies) {
        const r = await send(method, path, body, type);
        expect(r.status, `${method} ${path} ${body.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${path} ${body.slice(0, 80)}`).toBeLessThan(500);
        expect(typeof r.json.error).toBe('string');
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answers bytes that are not UTF-8 with a 400', async () => {
    const res = await t.app.request(paths[5]!.path, {
      method: 'POST',
      headers: { authorization: `OAuth ${key}`, 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    });
    expect(res.status).toBe(400);
  });
});
