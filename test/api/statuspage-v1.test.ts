import { readFileSync } from 'node:fs';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  broadcasts,
  components,
  deliveries,
  incidents,
  outboxMessages,
  subscribers,
} from '../../db/schema/index.ts';
import { createApiToken } from '../../server/domain/auth/api-tokens.ts';
import { makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// The contract: requests as Statuspage documents them (test/fixtures/statuspage-v1), answered
// with Statuspage's shapes and status codes, each write landing in Herald through its verbs.

const fixture = (name: string, fill: Record<string, string> = {}) => {
  let text = readFileSync(new URL(`../fixtures/statuspage-v1/${name}`, import.meta.url), 'utf8');
  for (const [k, v] of Object.entries(fill)) text = text.replaceAll(`<${k}>`, v);
  return JSON.parse(text) as Record<string, unknown>;
};
const keys = fixture('response-keys.json') as Record<string, string[]>;
const expectKeys = (obj: Record<string, unknown>, kind: string) => {
  for (const k of keys[kind]!) expect(obj, `${kind}.${k}`).toHaveProperty(k);
};

describe('Statuspage management API (/v1)', () => {
  let t: TestContext;
  let key: string;
  let responderKey: string;
  let viewerKey: string;
  let pageId: string;

  /** Calls the app as a Statuspage client does: `Authorization: OAuth <key>`. */
  const sp = async (method: string, path: string, body?: unknown, k: string | null = key) => {
    const headers: Record<string, string> = {};
    if (k) headers.authorization = `OAuth ${k}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await t.app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  const base = () => `/v1/pages/${pageId}`;
  const incidentCount = async () => (await t.deps.db.select({ n: count() }).from(incidents))[0]!.n;

  beforeAll(async () => {
    t = await createTestContext();
    key = (await makeToken(t, 'admin')).secret;
    responderKey = (await makeToken(t, 'responder')).secret;
    viewerKey = (await createApiToken(t.deps, { name: 'viewer', role: 'viewer' }, testActor))
      .secret;
    pageId = (await t.deps.reader.page()).id;
  });
  afterAll(() => t.close());

  describe('authentication and the page', () => {
    it('lists the one page, with the id the v2 JSON shows, to an OAuth key', async () => {
      const r = await sp('GET', '/v1/pages');
      expect(r.status).toBe(200);
      expect(r.json).toHaveLength(1);
      expect(r.json[0].id).toBe(pageId);
      expectKeys(r.json[0], 'page');
      const v2 = await t.app.request('/api/v2/status.json');
      expect(((await v2.json()) as { page: { id: string } }).page.id).toBe(pageId);
    });

    it('takes the key as the api_key query parameter too', async () => {
      const r = await sp('GET', `${base()}?api_key=${key}`, undefined, null);
      expect(r.status).toBe(200);
      expect(r.json.id).toBe(pageId);
    });

    it('answers 401 with a Statuspage error body without a key or with an unknown one', async () => {
      for (const k of [null, 'hrld_unknown']) {
        const r = await sp('GET', `${base()}/components`, undefined, k);
        expect(r.status).toBe(401);
        expect(typeof r.json.error).toBe('string');
        expect(r.json.error).toMatch(/OAuth/);
      }
    });

    it('answers 404 for another page id', async () => {
      const r = await sp('GET', '/v1/pages/abcdefghijkl/components');
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ error: 'No page with id abcdefghijkl.' });
    });

    it('renames the page through PATCH, which the public JSON shows at once', async () => {
      const r = await sp('PATCH', base(), { page: { name: 'Acme Cloud' } });
      expect(r.status).toBe(200);
      expect(r.json.name).toBe('Acme Cloud');
      const v2 = (await (await t.app.request('/api/v2/status.json')).json()) as {
        page: { name: string };
      };
      expect(v2.page.name).toBe('Acme Cloud');
    });

    it('refuses a page field Herald does not have, naming it, and changes nothing', async () => {
      const r = await sp('PATCH', base(), { page: { css_greens: '#00ff00', name: 'Other' } });
      expect(r.status).toBe(422);
      expect(r.json.error).toContain('page.css_greens');
      expect((await sp('GET', base())).json.name).toBe('Acme Cloud');
    });
  });

  describe('components and groups', () => {
    let componentId: string;
    it('creates a component from the documented body: 201 and the v1 component', async () => {
      const r = await sp('POST', `${base()}/components`, fixture('create-component.json'));
      expect(r.status).toBe(201);
      expectKeys(r.json, 'component');
      expect(r.json).toMatchObject({ name: 'API', status: 'operational', page_id: pageId });
      componentId = r.json.id;
      const [audit] = await t.deps.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.objectId, componentId));
      expect(audit).toMatchObject({ action: 'component.create', actorType: 'token' });
    });

    it('sets the status and description with PATCH; the v2 components show it', async () => {
      const r = await sp(
        'PATCH',
        `${base()}/components/${componentId}`,
        fixture('update-component.json'),
      );
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        status: 'degraded_performance',
        description: 'Public REST API (v2)',
      });
      const v2 = (await (await t.app.request('/api/v2/components.json')).json()) as {
        components: { id: string; status: string }[];
      };
      expect(v2.components.find((c) => c.id === componentId)!.status).toBe('degraded_performance');
    });

    it('lets a responder key set a status but not rename a component', async () => {
      const ok = await sp(
        'PUT',
        `${base()}/components/${componentId}`,
        { component: { status: 'operational' } },
        responderKey,
      );
      expect(ok.status).toBe(200);
      const refused = await sp(
        'PATCH',
        `${base()}/components/${componentId}`,
        { component: { name: 'Renamed' } },
        responderKey,
      );
      expect(refused.status).toBe(403);
      expect(typeof refused.json.error).toBe('string');
    });

    it('refuses a status Statuspage does not have, naming the field', async () => {
      const r = await sp('PATCH', `${base()}/components/${componentId}`, {
        component: { status: 'broken' },
      });
      expect(r.status).toBe(422);
      expect(r.json.error).toMatch(/^component\.status: must be one of operational/);
    });

    it('answers PATCH and PUT with nothing to change with the component unchanged, never a 500', async () => {
      const c = await makeComponent(t.deps, { name: 'Unchanged API' });
      for (const method of ['PATCH', 'PUT']) {
        const r = await sp(method, `${base()}/components/${c.id}`, { component: {} });
        expect([method, r.status]).toEqual([method, 200]);
        expect(r.json).toMatchObject({ id: c.id, name: 'Unchanged API', status: 'operational' });
      }
    });

    it('reads one component and answers 404 for an unknown one, also with .json paths', async () => {
      expect((await sp('GET', `${base()}/components/${componentId}.json`)).json.id).toBe(
        componentId,
      );
      expect((await sp('GET', `${base()}/components.json`)).json.map((c: any) => c.id)).toContain(
        componentId,
      );
      const r = await sp('GET', `${base()}/components/nope`);
      expect(r.status).toBe(404);
      expect(r.json.error).toBe('No component with id nope.');
    });

    it('creates a group holding components and deletes it keeping them', async () => {
      const r = await sp(
        'POST',
        `${base()}/component-groups`,
        fixture('create-component-group.json', { COMPONENT_ID: componentId }),
      );
      expect(r.status).toBe(201);
      expectKeys(r.json, 'component_group');
      expect(r.json.components).toEqual([componentId]);
      const groupId = r.json.id;
      expect((await sp('GET', `${base()}/components/${componentId}`)).json.group_id).toBe(groupId);
      const del = await sp('DELETE', `${base()}/component-groups/${groupId}`);
      expect(del.status).toBe(204);
      expect((await sp('GET', `${base()}/components/${componentId}`)).json.group_id).toBeNull();
      expect((await sp('GET', `${base()}/component-groups`)).json).toEqual([]);
    });

    it('refuses a group naming a component that does not exist, creating nothing', async () => {
      const r = await sp('POST', `${base()}/component-groups`, {
        component_group: { name: 'Ghosts', components: ['missing1'] },
      });
      expect(r.status).toBe(422);
      expect(r.json.error).toContain('component_group.components');
      expect((await sp('GET', `${base()}/component-groups`)).json).toEqual([]);
    });

    it('deletes a component with 204', async () => {
      const made = await sp('POST', `${base()}/components`, { component: { name: 'Temp' } });
      const r = await sp('DELETE', `${base()}/components/${made.json.id}`);
      expect(r.status).toBe(204);
      expect((await sp('GET', `${base()}/components/${made.json.id}`)).status).toBe(404);
    });
  });

  describe('incidents', () => {
    let componentId: string;
    let incidentId: string;
    beforeAll(async () => {
      componentId = (await makeComponent(t.deps, { name: 'Checkout' })).id;
      await makeConfirmedSubscriber(t.deps, 'customer@example.org');
    });

    it('declares the documented incident: major is P1, its components move, subscribers get the broadcast', async () => {
      const r = await sp(
        'POST',
        `${base()}/incidents`,
        fixture('create-incident.json', { COMPONENT_ID: componentId }),
      );
      expect(r.status).toBe(201);
      expectKeys(r.json, 'incident');
      expectKeys(r.json.incident_updates[0], 'incident_update');
      expect(r.json).toMatchObject({
        name: 'Elevated API error rates',
        status: 'investigating',
        impact: 'major',
        impact_override: 'major',
        priority: 1,
        metadata: { herald: { priority: 1 } },
      });
      expect(r.json.components.map((c: any) => [c.id, c.status])).toEqual([
        [componentId, 'partial_outage'],
      ]);
      incidentId = r.json.id;
      const [audit] = await t.deps.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.objectId, incidentId));
      expect(audit).toMatchObject({ action: 'incident.declare', actorLabel: 'token admin-bot' });
      const [b] = await t.deps.db
        .select()
        .from(broadcasts)
        .where(eq(broadcasts.incidentId, incidentId));
      expect(b).toBeDefined();
      const sent = await t.deps.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.broadcastId, b!.id));
      expect(sent).toHaveLength(1);
      const v2 = (await (await t.app.request('/api/v2/incidents/unresolved.json')).json()) as {
        incidents: { id: string }[];
      };
      expect(v2.incidents.map((i) => i.id)).toContain(incidentId);
    });

    it('lists it under /incidents and /incidents/unresolved, newest first', async () => {
      for (const path of ['/incidents', '/incidents/unresolved', '/incidents/unresolved.json']) {
        const r = await sp('GET', `${base()}${path}`);
        expect(r.status).toBe(200);
        expect(r.json[0].id).toBe(incidentId);
      }
    });

    it('resolves it with the documented PATCH: status, update and components restored', async () => {
      const r = await sp(
        'PATCH',
        `${base()}/incidents/${incidentId}`,
        fixture('update-incident-resolved.json', { COMPONENT_ID: componentId }),
      );
      expect(r.status).toBe(200);
      expect(r.json.status).toBe('resolved');
      expect(r.json.resolved_at).not.toBeNull();
      expect(r.json.incident_updates[0]).toMatchObject({
        status: 'resolved',
        body: 'This incident has been resolved.',
      });
      const [c] = await t.deps.db.select().from(components).where(eq(components.id, componentId));
      expect(c!.status).toBe('operational');
      expect((await sp('GET', `${base()}/incidents/unresolved`)).json).toEqual([]);
    });

    it('maps impact_override to priority by the table, and metadata.herald.priority wins', async () => {
      const table = { critical: 0, major: 1, minor: 2, none: 3 } as const;
      for (const [impact, priority] of Object.entries(table)) {
        const r = await sp('POST', `${base()}/incidents`, {
          incident: { name: `Impact ${impact}`, impact_override: impact },
        });
        expect(r.status).toBe(201);
        expect(r.json.priority).toBe(priority);
      }
      const r = await sp('POST', `${base()}/incidents`, {
        incident: {
          name: 'Override',
          impact_override: 'minor',
          metadata: { herald: { priority: 0 } },
        },
      });
      expect(r.json).toMatchObject({ priority: 0, impact: 'minor' });
    });

    it('sends nothing when deliver_notifications is false, even for a critical incident', async () => {
      const r = await sp('POST', `${base()}/incidents`, {
        incident: { name: 'Quiet', impact_override: 'critical', deliver_notifications: false },
      });
      expect(r.status).toBe(201);
      expect(r.json.priority).toBe(0);
      expect(r.json.incident_updates[0].deliver_notifications).toBe(false);
      const b = await t.deps.db
        .select()
        .from(broadcasts)
        .where(eq(broadcasts.incidentId, r.json.id));
      expect(b).toEqual([]);
    });

    it('re-rates an incident when PATCH changes impact_override, keeping the reason internal', async () => {
      const made = await sp('POST', `${base()}/incidents`, {
        incident: { name: 'Slow search', impact_override: 'minor' },
      });
      const r = await sp('PATCH', `${base()}/incidents/${made.json.id}`, {
        incident: { impact_override: 'critical' },
      });
      expect(r.status).toBe(200);
      expect(r.json.priority).toBe(0);
      expect(JSON.stringify(r.json)).not.toContain('Statuspage API');
    });

    it('changes neither priority nor timeline when one part of a PATCH is refused', async () => {
      const made = await sp('POST', `${base()}/incidents`, {
        incident: { name: 'Partial refusal', impact_override: 'minor' },
      });
      const id = made.json.id;
      for (const incident of [
        { impact_override: 'critical', components: { nope12345678: 'major_outage' } },
        { impact_override: 'critical', body: 'x'.repeat(10_001) },
      ]) {
        const r = await sp('PATCH', `${base()}/incidents/${id}`, { incident });
        expect(r.status).toBe(422);
        expect(r.json.error).toMatch(/^incident\.(components|body)/);
      }
      const after = await sp('GET', `${base()}/incidents/${id}`);
      expect(after.json.priority).toBe(2);
      expect(after.json.incident_updates).toHaveLength(1);
    });

    it('takes the older documented form fields (incident[name]=..., "t"/"f" flags), in a body or the query', async () => {
      const form = new URLSearchParams({
        'incident[name]': 'Form filed',
        'incident[status]': 'identified',
        'incident[message]': 'Posted as a form',
        'incident[impact_override]': 'minor',
        'incident[component_ids][]': componentId,
        'incident[deliver_notifications]': 'f',
      });
      const res = await t.app.request(`${base()}/incidents.json`, {
        method: 'POST',
        headers: {
          authorization: `OAuth ${key}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
      });
      expect(res.status).toBe(201);
      const made = (await res.json()) as any;
      expect(made).toMatchObject({ name: 'Form filed', status: 'identified', priority: 2 });
      expect(made.incident_updates[0]).toMatchObject({
        body: 'Posted as a form',
        deliver_notifications: false,
      });
      expect(made.components.map((c: any) => c.id)).toEqual([componentId]);

      const query = new URLSearchParams({ 'incident[name]': 'Query filed', api_key: key });
      const viaQuery = await t.app.request(`${base()}/incidents.json?${query}`, { method: 'POST' });
      expect(viaQuery.status).toBe(201);
      expect(((await viaQuery.json()) as any).name).toBe('Query filed');

      const bad = await t.app.request(`${base()}/incidents`, {
        method: 'POST',
        headers: {
          authorization: `OAuth ${key}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'incident[name]=x&incident[deliver_notifications]=maybe',
      });
      expect(bad.status).toBe(422);
      expect(((await bad.json()) as any).error).toMatch(/^incident\.deliver_notifications/);

      // One component id without the []: the answer says how a form sends a list.
      const before = await incidentCount();
      const single = await t.app.request(`${base()}/incidents`, {
        method: 'POST',
        headers: {
          authorization: `OAuth ${key}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `incident[name]=x&incident[component_ids]=${componentId}`,
      });
      expect(single.status).toBe(422);
      expect(((await single.json()) as any).error).toBe(
        'incident.component_ids: must be a list of component ids (in a form, one component_ids[]=ID per id)',
      );
      expect(await incidentCount()).toBe(before);
    });

    it('refuses a new incident without a name, naming incident.name, and declares nothing', async () => {
      const before = await incidentCount();
      const r = await sp('POST', `${base()}/incidents`, { incident: { status: 'investigating' } });
      expect(r.status).toBe(422);
      expect(r.json).toEqual({ error: 'incident.name: is required' });
      expect(await incidentCount()).toBe(before);
    });

    it('refuses bad input with a 4xx that names the field, and declares nothing', async () => {
      const before = await incidentCount();
      const cases: [unknown, number, RegExp][] = [
        [{ incident: { name: 'x', status: 'exploded' } }, 422, /^incident\.status/],
        [{ incident: { name: 'x', impact_override: 'huge' } }, 422, /^incident\.impact_override/],
        [{ incident: { name: 'x', priority: 1 } }, 422, /incident\.priority: is not a known field/],
        [
          { incident: { name: 'x', components: { nope12345678: 'major_outage' } } },
          422,
          /incident\.components/,
        ],
        [
          { incident: { name: 'x', deliver_notifications: 'yes' } },
          422,
          /incident\.deliver_notifications/,
        ],
        [
          { incident: { name: 'x', metadata: { herald: { priority: '0' } } } },
          422,
          /incident\.metadata\.herald\.priority/,
        ],
        [
          { incident: { name: 'x', scheduled_for: '2030-01-01T10:00:00Z' } },
          422,
          /incident\.scheduled_until/,
        ],
        [{ name: 'x' }, 422, /incident/],
        ['{"incident": ', 400, /JSON/],
      ];
      for (const [body, status, message] of cases) {
        const r = await sp('POST', `${base()}/incidents`, body);
        expect(r.status, JSON.stringify(body)).toBe(status);
        expect(r.json.error).toMatch(message);
      }
      expect(await incidentCount()).toBe(before);
    });

    it('refuses a body over 64 KB with 413 before reading it', async () => {
      const before = await incidentCount();
      const r = await sp('POST', `${base()}/incidents`, {
        incident: { name: 'Big', body: 'x'.repeat(70_000) },
      });
      expect(r.status).toBe(413);
      expect(typeof r.json.error).toBe('string');
      expect(await incidentCount()).toBe(before);
    });

    it('lets a viewer key read incidents but not declare one', async () => {
      expect((await sp('GET', `${base()}/incidents`, undefined, viewerKey)).status).toBe(200);
      const r = await sp('POST', `${base()}/incidents`, { incident: { name: 'No' } }, viewerKey);
      expect(r.status).toBe(403);
    });

    it('keeps incidents: DELETE is a 409 that says to resolve instead', async () => {
      const r = await sp('DELETE', `${base()}/incidents/${incidentId}`);
      expect(r.status).toBe(409);
      expect(r.json.error).toMatch(/resolve/);
      expect((await sp('GET', `${base()}/incidents/${incidentId}`)).status).toBe(200);
    });

    it('lists the updates of an incident and reads one', async () => {
      const list = await sp('GET', `${base()}/incidents/${incidentId}/incident_updates`);
      expect(list.json).toHaveLength(2);
      const one = await sp(
        'GET',
        `${base()}/incidents/${incidentId}/incident_updates/${list.json[1].id}`,
      );
      expect(one.json.body).toBe('We are investigating elevated error rates on the API.');
    });
  });

  describe('scheduled maintenance', () => {
    it('schedules the documented maintenance, lists it as scheduled and upcoming, and starts it', async () => {
      const componentId = (await makeComponent(t.deps, { name: 'Database' })).id;
      const now = t.clock.now().getTime();
      const r = await sp(
        'POST',
        `${base()}/incidents`,
        fixture('create-scheduled-maintenance.json', {
          COMPONENT_ID: componentId,
          SCHEDULED_FOR: new Date(now + 86_400_000).toISOString(),
          SCHEDULED_UNTIL: new Date(now + 90_000_000).toISOString(),
        }),
      );
      expect(r.status).toBe(201);
      expectKeys(r.json, 'incident');
      expect(r.json).toMatchObject({ status: 'scheduled', impact: 'maintenance' });
      const id = r.json.id;
      for (const path of ['/incidents/scheduled', '/incidents/upcoming']) {
        expect((await sp('GET', `${base()}${path}`)).json.map((i: any) => i.id)).toEqual([id]);
      }
      const v2 = (await (
        await t.app.request('/api/v2/scheduled-maintenances/upcoming.json')
      ).json()) as { scheduled_maintenances: { id: string }[] };
      expect(v2.scheduled_maintenances.map((m) => m.id)).toEqual([id]);
      const started = await sp('PATCH', `${base()}/incidents/${id}`, {
        incident: { status: 'in_progress' },
      });
      expect(started.status).toBe(200);
      expect(started.json.status).toBe('in_progress');
      expect(
        (await sp('GET', `${base()}/incidents/active_maintenance`)).json.map((i: any) => i.id),
      ).toEqual([id]);
    });
  });

  describe('subscribers', () => {
    let componentId: string;
    beforeAll(async () => {
      componentId = (await makeComponent(t.deps, { name: 'Mail' })).id;
    });

    it('adds a subscriber who consented elsewhere as confirmed, with their components, mailing nobody', async () => {
      const mailsBefore = (await t.deps.db.select({ n: count() }).from(outboxMessages))[0]!.n;
      const r = await sp(
        'POST',
        `${base()}/subscribers`,
        fixture('create-subscriber.json', { COMPONENT_ID: componentId }),
      );
      expect(r.status).toBe(201);
      expectKeys(r.json, 'subscriber');
      expect(r.json).toMatchObject({ email: 'ops@example.org', components: [componentId] });
      const [row] = await t.deps.db
        .select()
        .from(subscribers)
        .where(eq(subscribers.email, 'ops@example.org'));
      expect(row!.state).toBe('confirmed');
      expect((await t.deps.db.select({ n: count() }).from(outboxMessages))[0]!.n).toBe(mailsBefore);
    });

    it('asks anyone else to confirm by email first (double opt-in)', async () => {
      const r = await sp('POST', `${base()}/subscribers`, {
        subscriber: { email: 'New.Person@example.org' },
      });
      expect(r.status).toBe(201);
      expect(r.json.email).toBe('new.person@example.org');
      const [row] = await t.deps.db
        .select()
        .from(subscribers)
        .where(eq(subscribers.email, 'new.person@example.org'));
      expect(row!.state).toBe('pending');
      const mails = await t.deps.db
        .select()
        .from(outboxMessages)
        .where(eq(outboxMessages.toAddress, 'new.person@example.org'));
      expect(mails).toHaveLength(1);
    });

    it('lists active subscribers, and unconfirmed ones when asked', async () => {
      const active = await sp('GET', `${base()}/subscribers`);
      expect(active.json.map((s: any) => s.email)).toContain('ops@example.org');
      expect(active.json.map((s: any) => s.email)).not.toContain('new.person@example.org');
      const pending = await sp('GET', `${base()}/subscribers?state=unconfirmed`);
      expect(pending.json.map((s: any) => s.email)).toEqual(['new.person@example.org']);
    });

    it('refuses a bad address naming subscriber.email and adds nobody', async () => {
      const before = (await t.deps.db.select({ n: count() }).from(subscribers))[0]!.n;
      const r = await sp('POST', `${base()}/subscribers`, {
        subscriber: { email: 'not an address', skip_confirmation_notification: true },
      });
      expect(r.status).toBe(422);
      expect(r.json.error).toMatch(/^subscriber\.email/);
      const r2 = await sp('POST', `${base()}/subscribers`, { subscriber: { email: 'x@' } });
      expect(r2.status).toBe(422);
      expect(r2.json.error).toMatch(/^subscriber\.email/);
      expect((await t.deps.db.select({ n: count() }).from(subscribers))[0]!.n).toBe(before);
    });

    it('keeps subscribers from a responder key', async () => {
      expect((await sp('GET', `${base()}/subscribers`, undefined, responderKey)).status).toBe(403);
    });

    it('deletes a subscriber with 204', async () => {
      const list = await sp('GET', `${base()}/subscribers`);
      const id = list.json.find((s: any) => s.email === 'ops@example.org').id;
      expect((await sp('DELETE', `${base()}/subscribers/${id}`)).status).toBe(204);
      expect((await sp('GET', `${base()}/subscribers/${id}`)).status).toBe(404);
    });
  });
});
