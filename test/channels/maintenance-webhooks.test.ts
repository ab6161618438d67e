import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import { completeMaintenance } from '../../server/domain/maintenance/complete-maintenance.ts';
import { extendMaintenance } from '../../server/domain/maintenance/extend-maintenance.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { type Receiver, startReceiver } from './receiver.ts';

const SUN_2 = new Date('2026-11-22T02:00:00.000Z');
const SUN_4 = new Date('2026-11-22T04:00:00.000Z');
const MIN = 60_000;

function verify(secret: string, header: string, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

describe('maintenance windows reach webhooks and chat channels', () => {
  let t: TestContext;
  let rx: Receiver;
  let admin: ReturnType<typeof api>;
  let db = '';
  let web = '';

  beforeAll(async () => {
    t = await createTestContext();
    admin = api(t, (await makeToken(t, 'admin')).secret);
    db = (await makeComponent(t.deps, { name: 'Database' })).id;
    web = (await makeComponent(t.deps, { name: 'Website' })).id;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    rx = await startReceiver();
    await t.deps.db.delete(webhooks);
    t.clock.set('2026-11-21T12:00:00.000Z');
    await admin.patch('/api/admin/settings', { timeZone: 'Etc/UTC' });
  });
  afterEach(() => rx.close());

  async function addHook(name: string, extra: Record<string, unknown>) {
    const r = await admin.post('/api/admin/webhooks', {
      url: `${rx.url}/${name}`,
      allowPrivate: true,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json as { webhook: { id: string; events: string[] }; secret: string };
  }
  const schedule = (extra: Record<string, unknown> = {}) =>
    scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade',
        description: 'We upgrade the database; writes pause for a few minutes.',
        scheduledFor: SUN_2.toISOString(),
        scheduledUntil: SUN_4.toISOString(),
        componentIds: [db],
        ...extra,
      },
      testActor,
    );
  const worker = () => createWebhookWorker(t.deps, { random: () => 0.5 });
  /** Sends what is due and hands back what each receiver path got since the last call. */
  async function drain() {
    rx.received.length = 0;
    await worker().runOnce();
    return rx.received.map((r) => ({
      path: r.url.replace(/^\/hook\//, ''),
      event: r.headers['x-herald-event'],
      signature: String(r.headers['x-herald-signature']),
      raw: r.body,
      body: JSON.parse(r.body),
    }));
  }

  it('POSTs the Statuspage maintenance envelope, signed, on schedule, start, extension and completion', async () => {
    const { secret } = await addHook('db', { events: ['maintenance'], componentIds: [db] });
    const all = await addHook('all', {}); // no events named: a webhook takes every event
    expect(all.webhook.events).toContain('maintenance');
    await addHook('website-only', { events: ['maintenance'], componentIds: [web] });
    await addHook('incidents-only', { events: ['incident.created', 'component.updated'] });
    await addHook('drills', { events: ['maintenance'], isDrill: true });

    const m = await schedule();
    let got = (await drain()).filter((r) => r.event === 'maintenance');
    expect(got.map((r) => r.path).sort()).toEqual(['all', 'db']);
    const scheduled = got.find((r) => r.path === 'db')!;
    expect(verify(secret, scheduled.signature, scheduled.raw)).toBe(true);
    expect(verify(all.secret, scheduled.signature, scheduled.raw)).toBe(false);
    expect(Object.keys(scheduled.body).sort()).toEqual(['incident', 'meta', 'page']);
    expect(scheduled.body.page).toMatchObject({ status_indicator: 'none' });
    expect(scheduled.body.incident).toMatchObject({
      id: m.id,
      name: 'Database upgrade',
      status: 'scheduled',
      impact: 'maintenance',
      scheduled_for: '2026-11-22T02:00:00.000Z',
      scheduled_until: '2026-11-22T04:00:00.000Z',
      // As Statuspage: the publish time until the window starts.
      started_at: scheduled.body.incident.created_at,
      resolved_at: null,
      shortlink: expect.stringMatching(/^https:\/\/status\.example\.com\//),
    });
    expect(scheduled.body.incident.components.map((c: { id: string }) => c.id)).toEqual([db]);
    expect(scheduled.body.incident.incident_updates).toEqual([
      expect.objectContaining({
        status: 'scheduled',
        body: 'We upgrade the database; writes pause for a few minutes.',
        incident_id: m.id,
        deliver_notifications: true,
      }),
    ]);

    // The scheduler starts it on time: the channel hears it once, as in progress.
    t.clock.set(SUN_2);
    await createScheduler(t.deps).runOnce();
    got = await drain();
    const started = got.filter((r) => r.event === 'maintenance');
    expect(started.map((r) => r.path).sort()).toEqual(['all', 'db']);
    const s = started.find((r) => r.path === 'db')!.body.incident;
    expect(s).toMatchObject({ status: 'in_progress', started_at: SUN_2.toISOString() });
    expect(s.incident_updates.map((u: { status: string }) => u.status)).toEqual([
      'in_progress',
      'scheduled',
    ]);
    // The components going under maintenance still reach who asked for component changes.
    expect(got.filter((r) => r.event === 'component.updated').map((r) => r.path)).toEqual(
      expect.arrayContaining(['incidents-only']),
    );

    t.clock.set(SUN_2.getTime() + 90 * MIN);
    await extendMaintenance(
      t.deps,
      { maintenanceId: m.id, scheduledUntil: '2026-11-22T05:00:00.000Z' },
      testActor,
    );
    const extended = (await drain()).filter((r) => r.event === 'maintenance' && r.path === 'db');
    expect(extended).toHaveLength(1);
    expect(extended[0]!.body.incident).toMatchObject({
      status: 'in_progress',
      scheduled_until: '2026-11-22T05:00:00.000Z',
    });
    expect(extended[0]!.body.incident.incident_updates[0].body).toContain('extended until');

    t.clock.set(SUN_2.getTime() + 150 * MIN);
    await completeMaintenance(t.deps, { maintenanceId: m.id }, testActor);
    const done = (await drain()).filter((r) => r.event === 'maintenance');
    expect(done.map((r) => r.path).sort()).toEqual(['all', 'db']);
    expect(done[0]!.body.incident).toMatchObject({
      status: 'completed',
      resolved_at: new Date(SUN_2.getTime() + 150 * MIN).toISOString(),
    });
    expect(done[0]!.body.page.status_indicator).toBe('none');

    // Four steps, four deliveries to the channel that cares, all sent; none for the others.
    const rows = await t.deps.db.select().from(webhookDeliveries);
    const forDb = rows.filter((r) => r.event === 'maintenance' && r.ref.maintenanceId === m.id);
    expect(forDb).toHaveLength(8);
    expect(forDb.every((r) => r.state === 'sent' && r.lastStatus === 200)).toBe(true);
  });

  it('a delivery sent late still says what that step said', async () => {
    await addHook('db', { events: ['maintenance'] });
    const m = await schedule();
    t.clock.set(SUN_2);
    await createScheduler(t.deps).runOnce(); // queued "scheduled" and "in progress", none sent
    const got = await drain();
    const byStatus = got.map((r) => [
      r.body.incident.status,
      r.body.incident.incident_updates.length,
    ]);
    expect(byStatus.sort()).toEqual([
      ['in_progress', 2],
      ['scheduled', 1],
    ]);
    expect(got.every((r) => r.body.incident.id === m.id)).toBe(true);
  });

  it('a quiet window tells no channel; a start caught up with its end sends only the end', async () => {
    await addHook('db', { events: ['maintenance'] });
    const quiet = await schedule({ notify: false });
    expect(await drain()).toEqual([]);

    const late = await schedule({ title: 'Late upgrade' });
    expect((await drain()).map((r) => r.body.incident.status)).toEqual(['scheduled']);
    // Herald was down through the whole window: it starts and completes in one pass.
    t.clock.set(SUN_4.getTime() + 5 * MIN);
    await createScheduler(t.deps).runOnce();
    const mine = (await drain()).filter((r) => [quiet.id, late.id].includes(r.body.incident.id));
    expect(mine.map((r) => [r.body.incident.id, r.body.incident.status])).toEqual([
      [late.id, 'completed'],
    ]);
  });

  it('a receiver that fails gets the same step again later; a refused step queues nothing', async () => {
    const { webhook } = await addHook('db', { events: ['maintenance'] });
    rx.next({ status: 503, body: 'busy' });
    const m = await schedule();
    const first = await drain();
    expect(first).toHaveLength(1);
    const rows = () =>
      t.deps.db
        .select()
        .from(webhookDeliveries)
        .then((r) => r.filter((d) => d.webhookId === webhook.id));
    expect(await rows()).toEqual([
      expect.objectContaining({ state: 'pending', lastStatus: 503, attempts: 1 }),
    ]);
    t.clock.advance(10 * MIN);
    const again = await drain();
    expect(again.map((r) => r.raw)).toEqual([first[0]!.raw]);
    expect(await rows()).toEqual([
      expect.objectContaining({ state: 'sent', lastStatus: 200, attempts: 2 }),
    ]);

    // Completing a window that has not started is refused, and tells no channel anything.
    await expect(completeMaintenance(t.deps, { maintenanceId: m.id }, testActor)).rejects.toThrow(
      /cannot complete/,
    );
    expect(await rows()).toHaveLength(1);
    expect(await drain()).toEqual([]);
  });

  it('Slack, Teams and Discord get the window in the page zone and in UTC', async () => {
    await admin.patch('/api/admin/settings', { timeZone: 'Europe/Berlin' });
    for (const kind of ['slack', 'teams', 'discord'])
      await addHook(kind, { kind, events: ['maintenance'] });
    await addHook('slack-incidents', { kind: 'slack' }); // chat default: incident events only
    await schedule();
    const got = new Map((await drain()).map((r) => [r.path, r.body]));
    expect([...got.keys()].sort()).toEqual(['discord', 'slack', 'teams']);
    const window =
      'Sun 22 Nov 2026, 03:00 GMT+1 to Sun 22 Nov 2026, 05:00 GMT+1 (SUN 02:00-04:00 UTC)';

    const slack = got.get('slack');
    expect(slack.blocks[0].text.text).toBe(
      'SCHEDULED MAINTENANCE: DATABASE UPGRADE, SUN 02:00-04:00 UTC',
    );
    expect(slack.blocks[1].fields.map((f: { text: string }) => f.text)).toEqual([
      '*Status*\nScheduled',
      `*Window*\n${window}`,
      '*Affected*\nDatabase',
    ]);
    expect(slack.blocks[2].text.text).toBe(
      'We upgrade the database; writes pause for a few minutes.',
    );
    expect(slack.blocks.at(-1).elements[0].url).toMatch(/^https:\/\/status\.example\.com\//);

    const card = got.get('teams').attachments[0].content;
    expect(card.body[0].text).toBe('SCHEDULED MAINTENANCE: DATABASE UPGRADE, SUN 02:00-04:00 UTC');
    expect(card.body[1].facts).toEqual([
      { title: 'Status', value: 'Scheduled' },
      { title: 'Window', value: window },
      { title: 'Affected', value: 'Database' },
    ]);
    expect(card.actions[0]).toMatchObject({ type: 'Action.OpenUrl' });

    const embed = got.get('discord').embeds[0];
    expect(embed.title).toBe('SCHEDULED MAINTENANCE: DATABASE UPGRADE, SUN 02:00-04:00 UTC');
    expect(embed.color).toBe(0x0b5394);
    expect(embed.fields).toEqual([
      { name: 'Status', value: 'Scheduled', inline: true },
      { name: 'Window', value: window, inline: false },
      { name: 'Affected', value: 'Database', inline: false },
    ]);

    t.clock.set(SUN_2);
    await createScheduler(t.deps).runOnce();
    const started = new Map(
      (await drain()).filter((r) => r.path === 'slack').map((r) => [r.path, r.body]),
    );
    expect(started.get('slack').blocks[0].text.text).toBe(
      'MAINTENANCE IN PROGRESS: DATABASE UPGRADE, UNTIL 04:00 UTC',
    );
  });

  it('the admin API takes the maintenance event and refuses an unknown one; OpenAPI lists it', async () => {
    const bad = await admin.post('/api/admin/webhooks', {
      url: `${rx.url}/x`,
      allowPrivate: true,
      events: ['maintenance.started'],
    });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.json.error)).toContain('events');
    const doc = await (await t.app.request('/api/admin/openapi.json')).json();
    const body = doc.paths['/api/admin/webhooks'].post.requestBody.content['application/json'];
    expect(body.schema.properties.events.items.enum).toContain('maintenance');
  });
});
