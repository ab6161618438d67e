import http from 'node:http';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries, lists } from '../../db/schema/index.ts';
import { createApiToken } from '../../server/domain/auth/api-tokens.ts';
import { readLists } from '../../server/domain/lists/read-lists.ts';
import { importSubscribers } from '../../server/domain/subscribers/import-subscribers.ts';
import { createUser } from '../../server/domain/users/create-user.ts';
import { updateUser } from '../../server/domain/users/update-user.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { listen } from '../helpers/server.ts';
import { storeSnapshot } from '../helpers/store-snapshot.ts';

describe('strict input at the admin API edge', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  let publicListId: string;
  let internalListId: string;
  const future = (ms: number) => new Date(t.clock.now().getTime() + ms).toISOString();

  beforeAll(async () => {
    t = await createTestContext();
    admin = api(t, (await makeToken(t, 'admin')).secret);
    const all = await readLists(t.deps.db);
    publicListId = all.find((l) => !l.isInternal)!.id;
    internalListId = all.find((l) => l.isInternal)!.id;
    await importSubscribers(
      t.deps,
      { listId: publicListId, csv: 'email\nreader@example.net\n' },
      testActor,
    );
  });
  afterAll(() => t.close());

  const deliveryCount = async () => (await t.deps.db.select().from(deliveries)).length;
  const notNumbers = [null, '', [], false, true, '0', '1', 0.5];

  it('POST /api/admin/incidents refuses priority null, "", [], false, true and "0", and mails nobody', async () => {
    const before = await storeSnapshot(t);
    for (const priority of notNumbers) {
      const r = await admin.post('/api/admin/incidents', {
        title: 'Website is down',
        body: 'Errors everywhere.',
        priority,
      });
      expect(r.status, JSON.stringify(priority)).toBe(422);
      expect(r.json.error.fields.priority).toBe('must be 0, 1, 2 or 3');
    }
    expect(await storeSnapshot(t)).toEqual(before);
    // Positive control: the same declaration as a real P0 queues the subscriber's email.
    const ok = await admin.post('/api/admin/incidents', {
      title: 'Website is down',
      body: 'Errors everywhere.',
      priority: 0,
    });
    expect(ok.status).toBe(201);
    expect(await deliveryCount()).toBeGreaterThan(before.tables.deliveries!.rows);
  });

  it('POST /incidents/{id}/priority, /scheduled-incidents and /email-preview refuse a priority that is not a number', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2 });
    const before = await storeSnapshot(t);
    for (const priority of notNumbers) {
      const change = await admin.post(`/api/admin/incidents/${incident.id}/priority`, {
        priority,
        reason: 'Worse than thought.',
      });
      expect(change.status).toBe(422);
      expect(change.json.error.fields).toHaveProperty('priority');
      const scheduled = await admin.post('/api/admin/scheduled-incidents', {
        title: 'Planned outage',
        body: 'Later.',
        priority,
        scheduledFor: future(3_600_000),
      });
      expect(scheduled.status).toBe(422);
      expect(scheduled.json.error.fields).toHaveProperty('priority');
      const preview = await admin.post('/api/admin/email-preview', {
        title: 'X',
        body: 'Y',
        priority,
      });
      expect(preview.status).toBe(422);
      expect(preview.json.error.fields).toHaveProperty('priority');
    }
    expect(await storeSnapshot(t)).toEqual(before);
    const change = await admin.post(`/api/admin/incidents/${incident.id}/priority`, {
      priority: 3,
      reason: 'Cosmetic after all.',
    });
    expect(change.status).toBe(200);
  });

  it('refuses dates that are null, true, not ISO 8601, or outside the years 2000 to 2100, and starts no window', async () => {
    const before = await storeSnapshot(t);
    const window = {
      title: 'Upgrade',
      description: 'Read-only for a bit.',
      scheduledUntil: future(7_200_000),
    };
    for (const scheduledFor of [
      null,
      true,
      0,
      '',
      'tomorrow',
      '2026-12-01',
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '1970-01-01T00:00:00Z',
    ]) {
      const r = await admin.post('/api/admin/maintenance', { ...window, scheduledFor });
      expect(r.status, JSON.stringify(scheduledFor)).toBe(422);
      expect(r.json.error.fields).toHaveProperty('scheduledFor');
    }
    for (const startedAt of [null, true, '1970-01-01T00:00:00Z']) {
      const r = await admin.post('/api/admin/incidents', {
        title: 'T',
        body: 'B',
        priority: 3,
        startedAt,
      });
      expect(r.status).toBe(422);
      expect(r.json.error.fields).toHaveProperty('startedAt');
    }
    for (const reminderLeadMinutes of [null, '', [], '60']) {
      const r = await admin.post('/api/admin/maintenance', {
        ...window,
        scheduledFor: future(3_600_000),
        reminderLeadMinutes,
      });
      expect(r.status).toBe(422);
      expect(r.json.error.fields).toHaveProperty('reminderLeadMinutes');
    }
    expect(await storeSnapshot(t)).toEqual(before);
    const ok = await admin.post('/api/admin/maintenance', {
      ...window,
      scheduledFor: future(3_600_000),
      reminderLeadMinutes: 30,
    });
    expect(ok.status).toBe(201);
    expect(ok.json.maintenance.status).toBe('scheduled');
  });

  it('PATCH /api/admin/lists/{id} refuses isInternal 1 and keeps the internal list internal when isInternal is left out', async () => {
    const before = await storeSnapshot(t);
    const one = await admin.patch(`/api/admin/lists/${internalListId}`, { isInternal: 1 });
    expect(one.status).toBe(422);
    expect(one.json.error.fields.isInternal).toBe('must be true or false');
    expect(await storeSnapshot(t)).toEqual(before);
    const renamed = await admin.patch(`/api/admin/lists/${internalListId}`, {
      name: 'Stakeholders (all staff)',
    });
    expect(renamed.status).toBe(200);
    const [row] = await t.deps.db.select().from(lists).where(eq(lists.id, internalListId));
    expect(row!.name).toBe('Stakeholders (all staff)');
    expect(row!.isInternal).toBe(true);
  });

  it('PATCH /api/admin/lists/{id} refuses priorities "x" or outside 0-3 instead of dropping them', async () => {
    const [before] = await t.deps.db.select().from(lists).where(eq(lists.id, publicListId));
    for (const priorities of ['x', '0,1,7,99,-1', [0, 1, 7], [0, -1], ['0'], null]) {
      const r = await admin.patch(`/api/admin/lists/${publicListId}`, { priorities });
      expect(r.status, JSON.stringify(priorities)).toBe(422);
      expect(Object.keys(r.json.error.fields)[0]).toMatch(/^priorities/);
    }
    const [after] = await t.deps.db.select().from(lists).where(eq(lists.id, publicListId));
    expect(after!.priorities).toBe(before!.priorities);
    const ok = await admin.patch(`/api/admin/lists/${publicListId}`, { priorities: [1, 0, 1] });
    expect(ok.json.list.priorities).toBe('0,1');
  });

  it('POST /api/admin/scheduled-incidents refuses an ownerId that names no user, and a huge one', async () => {
    const body = {
      title: 'Planned outage',
      body: 'Later.',
      priority: 2,
      scheduledFor: future(3_600_000),
    };
    const before = await storeSnapshot(t);
    const unknown = await admin.post('/api/admin/scheduled-incidents', {
      ...body,
      ownerId: 'nosuchuser',
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.fields).toEqual({ ownerId: 'no such active user' });
    const long = await admin.post('/api/admin/scheduled-incidents', {
      ...body,
      ownerId: 'u'.repeat(1000),
    });
    expect(long.status).toBe(422);
    expect(long.json.error.fields.ownerId).toBe('is not an id');
    const huge = await admin.post('/api/admin/scheduled-incidents', {
      ...body,
      ownerId: 'u'.repeat(1_000_000),
    });
    expect(huge.status).toBe(413);
    expect(await storeSnapshot(t)).toEqual(before);
    const owner = await createUser(
      t.deps,
      { email: 'owner@acme.com', role: 'responder', password: 'a long enough passphrase' },
      testActor,
    );
    const ok = await admin.post('/api/admin/scheduled-incidents', { ...body, ownerId: owner.id });
    expect(ok.status).toBe(201);
    expect(ok.json.incident.ownerId).toBe(owner.id);
  });

  it('POST /api/admin/incidents refuses a disabled owner on the field, as the form does, and changes nothing', async () => {
    const leaver = await createUser(
      t.deps,
      { email: 'gone@acme.com', role: 'responder', password: 'a long enough passphrase' },
      testActor,
    );
    await updateUser(t.deps, { userId: leaver.id, disabled: true }, testActor);
    const before = await storeSnapshot(t);
    const res = await admin.post('/api/admin/incidents', {
      title: 'Owned by a leaver',
      priority: 2,
      body: 'Investigating.',
      ownerId: leaver.id,
    });
    expect(res.status).toBe(422);
    expect(res.json.error.fields).toEqual({ ownerId: 'no such active user' });
    expect(await storeSnapshot(t)).toEqual(before);
    // The same owner, enabled again, is taken: the refusal was about the disabled user.
    await updateUser(t.deps, { userId: leaver.id, disabled: false }, testActor);
    const ok = await admin.post('/api/admin/incidents', {
      title: 'Owned by a returner',
      priority: 2,
      body: 'Investigating.',
      ownerId: leaver.id,
    });
    expect(ok.status).toBe(201);
  });

  it('answers 422 on the field, not 404, for an id in the body that names nothing, and changes nothing', async () => {
    const before = await storeSnapshot(t);
    const declared = await admin.post('/api/admin/incidents', {
      title: 'Website is down',
      body: 'Errors everywhere.',
      priority: 0,
      components: [{ componentId: 'nosuchcomponent', status: 'major_outage' }],
    });
    expect(declared.status).toBe(422);
    expect(declared.json.error.fields).toEqual({
      components: 'no component with id nosuchcomponent',
    });
    const component = await admin.post('/api/admin/components', {
      name: 'Checkout',
      groupId: 'nosuchgroup',
    });
    expect(component.status).toBe(422);
    expect(component.json.error.fields).toEqual({ groupId: 'no such group' });
    const window = await admin.post('/api/admin/maintenance', {
      title: 'Database upgrade',
      description: 'Ten minutes of read-only.',
      scheduledFor: future(3_600_000),
      scheduledUntil: future(7_200_000),
      componentIds: ['nosuchcomponent'],
    });
    expect(window.status).toBe(422);
    expect(window.json.error.fields).toEqual({
      componentIds: 'no component with id nosuchcomponent',
    });
    // Nothing was declared, created or scheduled, and nobody was mailed.
    expect(await storeSnapshot(t)).toEqual(before);

    // Positive control: the same requests naming a real component go through.
    const real = await admin.post('/api/admin/components', { name: 'Checkout' });
    expect(real.status).toBe(201);
    const id = real.json.component.id as string;
    const ok = await admin.post('/api/admin/incidents', {
      title: 'Checkout is down',
      body: 'Errors everywhere.',
      priority: 2,
      components: [{ componentId: id, status: 'major_outage' }],
    });
    expect(ok.status).toBe(201);
  });

  it('refuses unknown fields by name instead of ignoring a typo', async () => {
    const before = await storeSnapshot(t);
    const r = await admin.post('/api/admin/incidents', {
      title: 'T',
      body: 'B',
      priority: 2,
      notfy: false,
    });
    expect(r.status).toBe(422);
    expect(r.json.error.fields).toEqual({ notfy: 'is not a known field' });
    expect(await storeSnapshot(t)).toEqual(before);
  });

  it('refuses a JSON body that is not UTF-8 with 400 instead of storing U+FFFD', async () => {
    const before = await storeSnapshot(t);
    const bytes = new TextEncoder().encode('{"title":"Caf?","body":"B","priority":3}');
    bytes[13] = 0xe9; // Latin-1 "é" in place of "?"
    const r = await t.app.request('/api/admin/incidents', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await makeToken(t, 'admin')).secret}`,
        'content-type': 'application/json',
      },
      body: bytes,
    });
    expect(r.status).toBe(400);
    expect((await r.json()).error.message).toMatch(/UTF-8/);
    const { tables, changeCounter } = await storeSnapshot(t);
    expect(changeCounter).toBe(before.changeCounter);
    expect(tables.incidents).toEqual(before.tables.incidents);
  });

  it('POST /api/admin/incidents/{id}/holding refuses unreadable JSON but takes an empty body', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1 });
    const before = await storeSnapshot(t);
    for (const body of ['{', 'nextUpdateInMinutes=15', '[]']) {
      const r = await admin.post(`/api/admin/incidents/${incident.id}/holding`, body);
      expect(r.status, body).toBe(400);
    }
    const bad = await admin.post(`/api/admin/incidents/${incident.id}/holding`, {
      nextUpdateInMinutes: '15',
    });
    expect(bad.status).toBe(422);
    expect(await storeSnapshot(t)).toEqual(before);
    const empty = await t.app.request(`/api/admin/incidents/${incident.id}/holding`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await makeToken(t, 'responder')).secret}` },
    });
    expect(empty.status).toBe(201);
  });

  it('answers 415 for a write that is not sent as JSON', async () => {
    const { secret } = await makeToken(t, 'admin');
    const before = await storeSnapshot(t);
    const r = await t.app.request('/api/admin/incidents', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secret}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'title=T&body=B&priority=0',
    });
    expect(r.status).toBe(415);
    expect((await r.json()).error.code).toBe('unsupported_media_type');
    expect(await storeSnapshot(t)).toEqual(before);
  });
});

describe('API tokens and their user', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it('answers 401 to an API token whose user was disabled', async () => {
    const user = await createUser(
      t.deps,
      { email: 'leaver@acme.com', role: 'responder', password: 'a long enough passphrase' },
      testActor,
    );
    // Made while the user was an admin, as a token of the responder role.
    const { secret } = await createApiToken(
      t.deps,
      { name: 'leaver-bot', role: 'responder' },
      { type: 'user', id: user.id, label: user.email, role: 'admin' },
    );
    expect((await api(t, secret).get('/api/admin/me')).status).toBe(200);
    await updateUser(t.deps, { userId: user.id, disabled: true }, testActor);
    const after = await api(t, secret).get('/api/admin/me');
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('unauthorized');
    // A token made from the command line belongs to no user and keeps working.
    expect((await api(t, (await makeToken(t, 'admin')).secret).get('/api/admin/me')).status).toBe(
      200,
    );
  });
});

describe('headers and limits over a real socket', () => {
  let t: TestContext;
  let server: Awaited<ReturnType<typeof listen>>;
  let secret: string;
  beforeAll(async () => {
    t = await createTestContext();
    server = await listen(t);
    secret = (await makeToken(t, 'admin')).secret;
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  it('sends nosniff and HSTS on JSON, feeds, the calendar, the admin API and pages, cache hits included', async () => {
    for (const path of [
      '/api/v2/summary.json',
      '/api/v2/summary.json',
      '/history.rss',
      '/history.rss',
      '/maintenance.ics',
      '/',
      '/',
      '/api/admin/me',
      '/api/nope',
      '/no-such-page',
    ]) {
      const r = await fetch(`${server.base}${path}`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      await r.arrayBuffer();
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(r.headers.get('strict-transport-security'), path).toBe('max-age=31536000');
    }
    // The second request of a public URL is answered from the cache front: same headers.
    const cached = await fetch(`${server.base}/api/v2/summary.json`);
    const etag = cached.headers.get('etag')!;
    const notModified = await fetch(`${server.base}/api/v2/summary.json`, {
      headers: { 'if-none-match': etag },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses an oversized admin API body with 413 from its Content-Length, before the body is sent', async () => {
    const before = await storeSnapshot(t);
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${server.base}/api/admin/incidents`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
          'content-length': String(50 * 1024 * 1024),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
      req.write('{"title":'); // and nothing more: the answer must come without the rest
    });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('payload_too_large');
    expect(await storeSnapshot(t)).toEqual(before);
  });

  it('takes a CSV import far above the JSON limit on the import route only', async () => {
    const [list] = await readLists(t.deps.db);
    const csv = `email\n${Array.from({ length: 5000 }, (_, i) => `user${i}@example.net`).join('\n')}\n`;
    expect(csv.length).toBeGreaterThan(64 * 1024);
    const imported = await fetch(`${server.base}/api/admin/subscribers/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ listId: list!.id, csv }),
    });
    expect(imported.status).toBe(200);
    expect((await imported.json()).imported).toBe(5000);
    const elsewhere = await fetch(`${server.base}/api/admin/components`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'C', description: csv }),
    });
    expect(elsewhere.status).toBe(413);
  });
});

describe('the public API is read only', () => {
  it('answers write methods on /api/v2 and /api/maintenance with 405 and Allow, and a JSON 404 for unknown /api paths', async () => {
    const t = await createTestContext();
    try {
      for (const [method, path] of [
        ['POST', '/api/v2/summary.json'],
        ['DELETE', '/api/v2/incidents.json'],
        ['PUT', '/api/maintenance'],
      ] as const) {
        const r = await t.app.request(path, { method, body: method === 'DELETE' ? null : '{}' });
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
        expect((await r.json()).error.code).toBe('method_not_allowed');
      }
      expect((await t.app.request('/api/v2/summary.json')).status).toBe(200);
      const unknown = await t.app.request('/api/nothing-here');
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error.code).toBe('not_found');
    } finally {
      await t.close();
    }
  });
});

describe('one-click unsubscribe', () => {
  it('refuses a large body with 413 and unsubscribes nobody', async () => {
    const t = await createTestContext();
    try {
      const before = await storeSnapshot(t);
      const r = await t.app.request(`/unsubscribe/${'a'.repeat(40)}`, {
        method: 'POST',
        headers: { 'content-length': String(10 * 1024 * 1024) },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(r.status).toBe(413);
      expect((await r.json()).error.code).toBe('payload_too_large');
      expect(await storeSnapshot(t)).toEqual(before);
    } finally {
      await t.close();
    }
  });
});

describe('HSTS only over https', () => {
  it('sends no Strict-Transport-Security when PUBLIC_URL is http, and nosniff still', async () => {
    const t = await createTestContext({ env: { PUBLIC_URL: 'http://status.internal' } });
    try {
      const r = await t.app.request('/api/v2/status.json');
      expect(r.status).toBe(200);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await t.close();
    }
  });
});

describe('body limits and caching across the APIs', () => {
  it('each API refuses a body over its own limit with 413 and its own words, before reading it', async () => {
    const t = await createTestContext();
    try {
      const { secret } = await makeToken(t, 'admin');
      const { secret: intake } = await createApiToken(
        t.deps,
        { name: 'alerts', role: 'intake' },
        testActor,
      );
      const pageId = (await t.deps.reader.page()).id;
      const before = await storeSnapshot(t);
      const big = (path: string, key: string, size: number) =>
        t.app.request(path, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'content-length': String(size),
          },
          body: new ReadableStream({ pull() {} }),
          duplex: 'half',
        } as RequestInit);
      const admin = await big('/api/admin/incidents', secret, 65 * 1024);
      expect(admin.status).toBe(413);
      expect((await admin.json()).error.message).toBe('The request body is larger than 64 KB.');
      const alerts = await big('/api/intake/alertmanager', intake, 2 * 1024 * 1024);
      expect(alerts.status).toBe(413);
      expect((await alerts.json()).error.message).toMatch(/^The payload is larger than 1024 KB; /);
      const v1 = await big(`/v1/pages/${pageId}/incidents`, secret, 65 * 1024);
      expect(v1.status).toBe(413);
      expect((await v1.json()).error).toBe('The request body is too large.');
      const v2 = await big('/api/v2/summary.json', secret, 65 * 1024);
      expect(v2.status).toBe(413);
      expect((await v2.json()).error.message).toBe('The request body is too large.');
      expect(await storeSnapshot(t)).toEqual(before);
    } finally {
      await t.close();
    }
  });

  it('marks every answer of the admin, management and intake APIs as never stored', async () => {
    const t = await createTestContext();
    try {
      const { secret } = await makeToken(t, 'admin');
      const pageId = (await t.deps.reader.page()).id;
      const auth = { authorization: `Bearer ${secret}` };
      for (const [path, status] of [
        ['/api/admin/incidents', 200],
        [`/v1/pages/${pageId}/components`, 200],
        ['/api/intake/alertmanager', 405],
      ] as const) {
        const r = await t.app.request(path, { headers: auth });
        expect(r.status, path).toBe(status);
        expect(r.headers.get('cache-control'), path).toBe('no-store');
      }
    } finally {
      await t.close();
    }
  });
});
