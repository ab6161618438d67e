import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens, auditLog, incidentUpdates } from '../../db/schema/index.ts';
import { createUser } from '../../server/domain/users/create-user.ts';
import { login } from '../../server/domain/auth/sessions.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

describe('admin API', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  let responder: ReturnType<typeof api>;
  let responderTokenId: string;
  beforeAll(async () => {
    t = await createTestContext();
    admin = api(t, (await makeToken(t, 'admin')).secret);
    const r = await makeToken(t, 'responder');
    responder = api(t, r.secret);
    responderTokenId = r.id;
  });
  afterAll(() => t.close());

  const auditFor = (objectId: string) =>
    t.deps.db.select().from(auditLog).where(eq(auditLog.objectId, objectId));

  describe('authentication', () => {
    it('answers 401 with an error body when no token is sent', async () => {
      const r = await api(t, null).get('/api/admin/components');
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('unauthorized');
      expect(r.json.error.message).toMatch(/Bearer/);
    });

    it('answers 401 for an unknown token and for a malformed header', async () => {
      expect((await api(t, 'hrld_nope').get('/api/admin/components')).status).toBe(401);
      expect(
        (await t.app.request('/api/admin/components', { headers: { authorization: 'Basic abc' } }))
          .status,
      ).toBe(401);
    });

    it('refuses a revoked token', async () => {
      const { secret, id } = await makeToken(t, 'admin', 'short-lived');
      expect((await api(t, secret).get('/api/admin/me')).status).toBe(200);
      const revoke = await admin.del(`/api/admin/tokens/${id}`);
      expect(revoke.status).toBe(200);
      expect(revoke.json.token.revokedAt).not.toBeNull();
      const after = await api(t, secret).get('/api/admin/me');
      expect(after.status).toBe(401);
    });

    it('keeps the last-used time of a token and stores only its hash', async () => {
      const { secret, id } = await makeToken(t, 'responder', 'used');
      t.clock.advance(5 * 60_000);
      await api(t, secret).get('/api/admin/me');
      const [row] = await t.deps.db.select().from(apiTokens).where(eq(apiTokens.id, id));
      expect(row!.lastUsedAt!.getTime()).toBe(t.clock.now().getTime());
      expect(row!.tokenHash).not.toContain(secret);
      expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('tells the caller who it acts as', async () => {
      const r = await responder.get('/api/admin/me');
      expect(r.json.actor).toMatchObject({
        type: 'token',
        role: 'responder',
        label: 'token responder-bot',
      });
    });

    it('accepts a session cookie for reads but wants X-CSRF-Token for changes', async () => {
      await createUser(
        t.deps,
        { email: 'cookie@example.com', role: 'responder', password: 'long enough pw' },
        testActor,
      );
      const s = await login(t.deps, {
        email: 'cookie@example.com',
        password: 'long enough pw',
        address: 'test',
      });
      const cookie = `herald_session=${s.token}`;
      expect((await t.app.request('/api/admin/components', { headers: { cookie } })).status).toBe(
        200,
      );
      const c = await makeComponent(t.deps);
      const post = (headers: Record<string, string>) =>
        t.app.request(`/api/admin/components/${c.id}/status`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ status: 'major_outage' }),
        });
      expect((await post({})).status).toBe(403);
      const { sessions } = await import('../../db/schema/index.ts');
      const [row] = await t.deps.db.select().from(sessions).where(eq(sessions.userId, s.userId));
      expect(
        (await post({ 'x-csrf-token': row!.csrfToken, origin: 'https://evil.example' })).status,
      ).toBe(403);
      expect((await post({ 'x-csrf-token': row!.csrfToken })).status).toBe(200);
      t.clock.advance(13 * 3600_000);
      const expired = await t.app.request('/api/admin/components', { headers: { cookie } });
      expect(expired.status).toBe(401);
    });
  });

  describe('roles', () => {
    const adminOnly: [string, string, unknown?][] = [
      ['POST', '/api/admin/components', { name: 'X' }],
      ['PATCH', '/api/admin/components/any', { name: 'Y' }],
      ['POST', '/api/admin/components/any/move', { direction: 'up' }],
      ['DELETE', '/api/admin/components/any'],
      ['GET', '/api/admin/settings'],
      ['PATCH', '/api/admin/settings', { pageName: 'Nope' }],
      ['GET', '/api/admin/users'],
      [
        'POST',
        '/api/admin/users',
        { email: 'x@example.com', role: 'admin', password: 'long enough pw' },
      ],
      ['GET', '/api/admin/tokens'],
      ['POST', '/api/admin/tokens', { name: 'escalate', role: 'admin' }],
      ['DELETE', '/api/admin/tokens/any'],
      ['GET', '/api/admin/audit'],
    ];
    for (const [method, path, body] of adminOnly) {
      it(`refuses a responder token on ${method} ${path} with 403`, async () => {
        const tokensBefore = (await t.deps.db.select().from(apiTokens)).length;
        const r =
          method === 'GET'
            ? await responder.get(path)
            : method === 'DELETE'
              ? await responder.del(path)
              : method === 'PATCH'
                ? await responder.patch(path, body)
                : await responder.post(path, body);
        expect(r.status).toBe(403);
        expect(r.json.error.code).toBe('forbidden');
        expect((await t.deps.db.select().from(apiTokens)).length).toBe(tokensBefore);
      });
    }

    it('lets the domain refuse an admin-only verb to a responder even outside HTTP', async () => {
      const { createComponent } =
        await import('../../server/domain/components/create-component.ts');
      await expect(
        createComponent(
          t.deps,
          { name: 'Sneaky' },
          { type: 'token', id: 'x', label: 'x', role: 'responder' },
        ),
      ).rejects.toThrow(/Only an admin/);
    });
  });

  describe('incidents', () => {
    it('declares an incident for a responder token, audits it as the token, and shows it publicly', async () => {
      const c = await makeComponent(t.deps, { name: 'Checkout' });
      const r = await responder.post('/api/admin/incidents', {
        title: 'Checkout failing',
        priority: 1,
        body: 'Payments fail at checkout. We are investigating.',
        components: [{ componentId: c.id, status: 'major_outage' }],
        nextUpdateInMinutes: 15,
      });
      expect(r.status).toBe(201);
      const id = r.json.incident.id;
      expect(r.json.incident.nextUpdateDueAt).toBe(
        new Date(t.clock.now().getTime() + 15 * 60_000).toISOString(),
      );
      const [entry] = await auditFor(id);
      expect(entry).toMatchObject({
        actorType: 'token',
        actorId: responderTokenId,
        action: 'incident.declare',
        objectType: 'incident',
      });
      expect((entry!.after as { title: string }).title).toBe('Checkout failing');
      const summary = await (await t.app.request('/api/v2/summary.json')).json();
      expect(summary.incidents.map((i: { id: string }) => i.id)).toContain(id);
      expect(summary.components.find((x: { id: string }) => x.id === c.id).status).toBe(
        'major_outage',
      );
    });

    it('rejects a declaration without a title, naming the field, and writes nothing', async () => {
      const auditBefore = (await t.deps.db.select().from(auditLog)).length;
      const r = await responder.post('/api/admin/incidents', { priority: 9, body: 'x' });
      expect(r.status).toBe(422);
      expect(r.json.error.code).toBe('validation_failed');
      expect(r.json.error.message).toMatch(/title/);
      expect(r.json.error.fields).toMatchObject({
        title: expect.any(String),
        priority: 'must be 0, 1, 2 or 3',
      });
      expect((await t.deps.db.select().from(auditLog)).length).toBe(auditBefore);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const r = await responder.post('/api/admin/incidents', '{not json');
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('bad_request');
    });

    it('answers 404 for unknown incident and component ids in the URL, 422 for one in the body', async () => {
      expect((await responder.get('/api/admin/incidents/nope')).status).toBe(404);
      expect(
        (await responder.post('/api/admin/incidents/nope/updates', { body: 'hi' })).status,
      ).toBe(404);
      expect(
        (await responder.post('/api/admin/incidents/nope/priority', { priority: 0, reason: 'x' }))
          .status,
      ).toBe(404);
      expect((await responder.post('/api/admin/incidents/nope/resolve', {})).status).toBe(404);
      expect(
        (await responder.post('/api/admin/components/nope/status', { status: 'major_outage' }))
          .status,
      ).toBe(404);
      const r = await responder.post('/api/admin/incidents', {
        title: 'x',
        priority: 2,
        body: 'y',
        components: [{ componentId: 'nope', status: 'major_outage' }],
      });
      expect(r.status).toBe(422);
      expect(r.json.error.fields).toEqual({ components: 'no component with id nope' });
      expect((await admin.patch('/api/admin/components/nope', { name: 'z' })).status).toBe(404);
      expect((await admin.del('/api/admin/components/nope')).status).toBe(404);
      expect((await admin.del('/api/admin/tokens/nope')).status).toBe(404);
    });

    it('posts an update that keeps the promise and audits before/after', async () => {
      const { incident } = await makeIncident(t.deps, { priority: 1 });
      t.clock.advance(10 * 60_000);
      const r = await responder.post(`/api/admin/incidents/${incident.id}/updates`, {
        status: 'identified',
        body: 'Found it.',
        nextUpdateInMinutes: 60,
      });
      expect(r.status).toBe(201);
      const entries = await auditFor(incident.id);
      const upd = entries.find((e) => e.action === 'incident.update')!;
      expect(upd.before).toMatchObject({ status: 'investigating' });
      expect(upd.after).toMatchObject({ status: 'identified', body: 'Found it.' });
      const view = await responder.get(`/api/admin/incidents/${incident.id}`);
      expect(view.json.incident.nextUpdateDueAt).toBe(
        new Date(t.clock.now().getTime() + 60 * 60_000).toISOString(),
      );
    });

    it('changes the priority only with a reason, keeps it in the admin timeline and leaves it off public surfaces', async () => {
      const { incident } = await makeIncident(t.deps, { priority: 2, title: 'Slow search' });
      const missing = await responder.post(`/api/admin/incidents/${incident.id}/priority`, {
        priority: 1,
      });
      expect(missing.status).toBe(422);
      expect(missing.json.error.fields.reason).toBeTruthy();
      const same = await responder.post(`/api/admin/incidents/${incident.id}/priority`, {
        priority: 2,
        reason: 'x',
      });
      expect(same.status).toBe(422);
      const r = await responder.post(`/api/admin/incidents/${incident.id}/priority`, {
        priority: 1,
        reason: 'Enterprise customer SECRET-CORP is blocked',
      });
      expect(r.status).toBe(200);
      const view = await responder.get(`/api/admin/incidents/${incident.id}`);
      expect(view.json.incident.priority).toBe(1);
      expect(view.json.incident.nextUpdateDueAt).not.toBeNull();
      const change = view.json.updates.find(
        (u: { isPriorityChange: boolean }) => u.isPriorityChange,
      );
      expect(change).toMatchObject({
        priorityFrom: 2,
        priorityTo: 1,
        priorityReason: 'Enterprise customer SECRET-CORP is blocked',
      });
      for (const path of [
        '/api/v2/summary.json',
        '/api/v2/incidents.json',
        '/history.rss',
        '/history.atom',
      ]) {
        const text = await (await t.app.request(path)).text();
        expect(text, path).toContain('Slow search');
        expect(text, path).not.toContain('SECRET-CORP');
        expect(text, path).not.toContain('Priority changed');
      }
      const pub = (await (await t.app.request('/api/v2/incidents.json')).json()).incidents.find(
        (i: { id: string }) => i.id === incident.id,
      );
      // The public hears impact; the priority (and its change) is the team's.
      expect(pub).not.toHaveProperty('priority');
      expect(pub.incident_updates).toHaveLength(1);
      const [audit] = (await auditFor(incident.id)).filter(
        (e) => e.action === 'incident.change_priority',
      );
      expect(audit).toMatchObject({
        before: { priority: 2 },
        after: { priority: 1, reason: 'Enterprise customer SECRET-CORP is blocked' },
      });
    });

    it('resolves with the all-clear, restores components, and refuses further updates with 409', async () => {
      const c = await makeComponent(t.deps);
      const { incident } = await makeIncident(t.deps, {
        components: [{ componentId: c.id, status: 'partial_outage' }],
      });
      const r = await responder.post(`/api/admin/incidents/${incident.id}/resolve`, {
        body: 'All clear. Thank you for your patience.',
      });
      expect(r.status).toBe(200);
      expect(r.json.status).toBe('resolved');
      const comps = (await responder.get('/api/admin/components')).json.components;
      expect(comps.find((x: { id: string }) => x.id === c.id).status).toBe('operational');
      const again = await responder.post(`/api/admin/incidents/${incident.id}/updates`, {
        body: 'more',
      });
      expect(again.status).toBe(409);
      expect(
        (
          await responder.post(`/api/admin/incidents/${incident.id}/priority`, {
            priority: 0,
            reason: 'x',
          })
        ).status,
      ).toBe(409);
      const rows = await t.deps.db
        .select()
        .from(incidentUpdates)
        .where(eq(incidentUpdates.incidentId, incident.id));
      expect(rows.some((u) => u.body === 'All clear. Thank you for your patience.')).toBe(true);
    });

    it('hands an incident to another user and refuses an unknown one', async () => {
      const { incident } = await makeIncident(t.deps);
      const u = await createUser(
        t.deps,
        { email: 'owner@example.com', role: 'responder', password: 'long enough pw' },
        testActor,
      );
      const r = await responder.post(`/api/admin/incidents/${incident.id}/owner`, {
        ownerId: u.id,
      });
      expect(r.status).toBe(200);
      expect(
        (await responder.get(`/api/admin/incidents/${incident.id}`)).json.incident.ownerEmail,
      ).toBe('owner@example.com');
      const bad = await responder.post(`/api/admin/incidents/${incident.id}/owner`, {
        ownerId: 'ghost',
      });
      expect(bad.status).toBe(422);
      expect(bad.json.error.fields.ownerId).toBeTruthy();
      expect(
        (await responder.post('/api/admin/incidents/nope/owner', { ownerId: null })).status,
      ).toBe(404);
    });

    it('lists incidents for the admin, drills included', async () => {
      const { incident } = await makeIncident(t.deps, { isDrill: true, title: 'Practice run' });
      const r = await responder.get('/api/admin/incidents');
      expect(r.json.incidents.find((i: { id: string }) => i.id === incident.id)).toMatchObject({
        isDrill: true,
      });
    });
  });

  describe('components', () => {
    it('creates, renames, describes, regroups, moves and deletes components, each audited and public at once', async () => {
      const g = await admin.post('/api/admin/components', { name: 'Platform', isGroup: true });
      expect(g.status).toBe(201);
      const a = (
        await admin.post('/api/admin/components', { name: 'Alpha', groupId: g.json.component.id })
      ).json.component;
      const b = (
        await admin.post('/api/admin/components', { name: 'Beta', groupId: g.json.component.id })
      ).json.component;
      const renamed = await admin.patch(`/api/admin/components/${a.id}`, {
        name: 'Alpha API',
        description: 'The public REST API',
      });
      expect(renamed.json.component).toMatchObject({
        name: 'Alpha API',
        description: 'The public REST API',
      });
      const moved = await admin.post(`/api/admin/components/${b.id}/move`, { direction: 'up' });
      expect(moved.json).toMatchObject({ moved: true });
      const pub = (await (await t.app.request('/api/v2/components.json')).json()).components;
      const names = pub.map((c: { name: string }) => c.name);
      expect(names.indexOf('Beta')).toBeLessThan(names.indexOf('Alpha API'));
      expect(pub.find((c: { id: string }) => c.id === a.id).description).toBe(
        'The public REST API',
      );
      const notEmpty = await admin.del(`/api/admin/components/${g.json.component.id}`);
      expect(notEmpty.status).toBe(409);
      const out = await admin.patch(`/api/admin/components/${a.id}`, { groupId: null });
      expect(out.json.component.groupId).toBeNull();
      const nested = await admin.patch(`/api/admin/components/${g.json.component.id}`, {
        groupId: g.json.component.id,
      });
      expect(nested.status).toBe(422);
      expect(nested.json.error.fields.groupId).toBeTruthy();
      expect((await admin.del(`/api/admin/components/${b.id}`)).status).toBe(200);
      expect((await admin.del(`/api/admin/components/${g.json.component.id}`)).status).toBe(200);
      // One entry per change that was made, on the component it changed; the refused delete
      // and the refused nesting left none.
      const label = new Map([
        [g.json.component.id, 'Platform'],
        [a.id, 'Alpha'],
        [b.id, 'Beta'],
      ]);
      const entries = (await t.deps.db.select().from(auditLog))
        .filter((e) => label.has(e.objectId!))
        .map((e) => `${e.action} ${label.get(e.objectId!)}`)
        .sort();
      expect(entries).toEqual([
        'component.create Alpha',
        'component.create Beta',
        'component.create Platform',
        'component.delete Beta',
        'component.delete Platform',
        'component.move Beta',
        'component.update Alpha',
        'component.update Alpha',
      ]);
    });

    it('lets a responder set a component status, recorded in the status history', async () => {
      const c = await makeComponent(t.deps);
      const r = await responder.post(`/api/admin/components/${c.id}/status`, {
        status: 'degraded_performance',
      });
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ oldStatus: 'operational', newStatus: 'degraded_performance' });
      const bad = await responder.post(`/api/admin/components/${c.id}/status`, {
        status: 'on_fire',
      });
      expect(bad.status).toBe(422);
      expect(bad.json.error.fields.status).toBeTruthy();
    });
  });

  describe('maintenance', () => {
    it('schedules maintenance for a responder and lists it', async () => {
      const start = new Date(t.clock.now().getTime() + 24 * 3600_000);
      const r = await responder.post('/api/admin/maintenance', {
        title: 'Database upgrade',
        description: 'Read-only for an hour.',
        scheduledFor: start.toISOString(),
        scheduledUntil: new Date(start.getTime() + 3600_000).toISOString(),
      });
      expect(r.status).toBe(201);
      const list = await responder.get('/api/admin/maintenance');
      expect(list.json.maintenance.map((m: { id: string }) => m.id)).toContain(
        r.json.maintenance.id,
      );
    });

    it('rejects a window that ends before it starts, naming the field', async () => {
      const start = new Date(t.clock.now().getTime() + 24 * 3600_000);
      const r = await responder.post('/api/admin/maintenance', {
        title: 'X',
        description: 'Y',
        scheduledFor: start.toISOString(),
        scheduledUntil: start.toISOString(),
      });
      expect(r.status).toBe(422);
      expect(r.json.error.fields.scheduledUntil).toBe('must be after the start');
    });
  });

  describe('settings, users, tokens and the audit log (admin)', () => {
    it('changes settings with an IANA time zone and refuses abbreviations', async () => {
      const bad = await admin.patch('/api/admin/settings', { timeZone: 'CET' });
      expect(bad.status).toBe(422);
      expect(bad.json.error.fields.timeZone).toMatch(/IANA/);
      const ok = await admin.patch('/api/admin/settings', {
        pageName: 'Acme Cloud',
        timeZone: 'Europe/Berlin',
        publicUrl: 'https://status.acme.test/',
      });
      expect(ok.status).toBe(200);
      const page = (await (await t.app.request('/api/v2/status.json')).json()).page;
      expect(page).toMatchObject({
        name: 'Acme Cloud',
        time_zone: 'Europe/Berlin',
        url: 'https://status.acme.test',
      });
      await admin.patch('/api/admin/settings', {
        pageName: 'Acme',
        timeZone: 'Etc/UTC',
        publicUrl: 'https://status.example.com',
      });
    });

    it('creates users and tokens, never returning password hashes, and 409s on a taken email', async () => {
      const u = await admin.post('/api/admin/users', {
        email: 'New.Person@Example.com',
        role: 'responder',
        password: 'long enough pw',
      });
      expect(u.status).toBe(201);
      expect(u.json.user.email).toBe('new.person@example.com');
      expect(JSON.stringify(u.json)).not.toMatch(/scrypt|passwordHash/);
      expect(
        (
          await admin.post('/api/admin/users', {
            email: 'new.person@example.com',
            role: 'admin',
            password: 'long enough pw',
          })
        ).status,
      ).toBe(409);
      const short = await admin.post('/api/admin/users', {
        email: 'x@example.com',
        role: 'admin',
        password: 'short',
      });
      expect(short.json.error.fields.password).toMatch(/10 characters/);
      const tok = await admin.post('/api/admin/tokens', { name: 'deploy', role: 'responder' });
      expect(tok.status).toBe(201);
      expect(tok.json.secret).toMatch(/^hrld_/);
      const list = await admin.get('/api/admin/tokens');
      expect(JSON.stringify(list.json)).not.toContain(tok.json.secret);
      expect(JSON.stringify((await admin.get('/api/admin/users')).json)).not.toMatch(/scrypt/);
    });

    it('filters the audit log by actor and object, and offers no way to change it', async () => {
      const c = await makeComponent(t.deps, { name: 'Audited' });
      t.clock.advance(1000);
      await responder.post(`/api/admin/components/${c.id}/status`, { status: 'major_outage' });
      const byObject = await admin.get(`/api/admin/audit?object_type=component&object_id=${c.id}`);
      expect(byObject.json.entries.map((e: { action: string }) => e.action)).toEqual([
        'component.set_status',
        'component.create',
      ]);
      const byActor = await admin.get(
        `/api/admin/audit?actor=${responderTokenId}&object_id=${c.id}`,
      );
      expect(byActor.json.entries).toHaveLength(1);
      expect(byActor.json.entries[0]).toMatchObject({
        actorType: 'token',
        before: { status: 'operational' },
        after: { status: 'major_outage' },
      });
      const byLabel = await admin.get('/api/admin/audit?actor=responder-bot&limit=500');
      expect(byLabel.status).toBe(200);
      expect(
        byLabel.json.entries.every((e: { actorLabel: string }) =>
          e.actorLabel.includes('responder-bot'),
        ),
      ).toBe(true);
      for (const method of ['POST', 'PATCH', 'PUT', 'DELETE']) {
        const r = await t.app.request('/api/admin/audit', {
          method,
          headers: { authorization: `Bearer ${(await makeToken(t, 'admin')).secret}` },
        });
        // Read only: a write method is refused with the methods the path takes.
        expect(r.status).toBe(405);
        expect(r.headers.get('allow')).toBe('GET, HEAD');
      }
    });
  });

  describe('OpenAPI document', () => {
    it('is generated from the domain schemas', async () => {
      const r = await t.app.request('/api/admin/openapi.json');
      expect(r.status).toBe(200);
      const doc = await r.json();
      expect(doc.openapi).toBe('3.1.0');
      const declare =
        doc.paths['/api/admin/incidents'].post.requestBody.content['application/json'].schema;
      expect(declare.required).toEqual(expect.arrayContaining(['title', 'priority', 'body']));
      expect(declare.properties.priority).toMatchObject({ minimum: 0, maximum: 3 });
      expect(declare.properties.status.enum).toEqual(['investigating', 'identified', 'monitoring']);
      expect(declare.properties.nextUpdateAt).toMatchObject({
        type: 'string',
        format: 'date-time',
      });
      const update = doc.paths['/api/admin/incidents/{id}/updates'].post;
      expect(update.parameters[0]).toMatchObject({ name: 'id', in: 'path' });
      expect(
        update.requestBody.content['application/json'].schema.properties.incidentId,
      ).toBeUndefined();
      expect(doc.paths['/api/admin/components'].post.description).toMatch(/admin/);
      expect(Object.keys(doc.paths).length).toBeGreaterThanOrEqual(14);
    });
  });
});
