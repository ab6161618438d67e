import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webhooks } from '../../db/schema/index.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { readDailyUptime } from '../../server/domain/uptime/read-uptime.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { makeUser } from '../helpers/site.ts';

// A drill runs as if it were real, on real component names; its component statuses are the
// drill's own (its incident's list), never the public status, its history or public channels.
describe('a drill never reaches the public page as a real outage', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  let rx: Receiver;
  beforeAll(async () => {
    t = await createTestContext({ env: { COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    rx = await startReceiver();
    await t.deps.db.delete(webhooks);
  });
  afterEach(() => rx.close());

  async function startDrill(componentId: string, title = 'Checkout drill') {
    const pm = await makeUser(t, 'responder', `pm-${componentId}@acme.com`);
    const res = await admin.post('/api/admin/drills', {
      title,
      scenario: 'Practice: the payment provider times out.',
      priority: 0,
      componentIds: [componentId],
      participantIds: [pm.id],
    });
    expect(res.status).toBe(201);
    expect(res.json.incidentId).toBeTruthy();
    return res.json.incidentId as string;
  }
  async function publicStatus(name: string) {
    const body = await (await t.app.request('/api/v2/components.json')).json();
    return body.components.find((c: { name: string }) => c.name === name).status as string;
  }

  it('starting a drill on a component leaves its public status operational', async () => {
    const checkout = await makeComponent(t.deps, { name: 'Checkout' });
    await startDrill(checkout.id);

    // Visitors: the v2 summary, the components JSON and the status indicator.
    const summary = await (await t.app.request('/api/v2/summary.json')).json();
    const comp = summary.components.find((c: { name: string }) => c.name === 'Checkout');
    expect(comp.status).toBe('operational');
    expect(summary.status.indicator).toBe('none');
  });

  it("a drill's component change reaches the drill channel, never a public one", async () => {
    const search = await makeComponent(t.deps, { name: 'Search' });
    const hook = async (isDrill: boolean) => {
      const r = await admin.post('/api/admin/webhooks', {
        url: `${rx.url}/${isDrill ? 'drill' : 'public'}`,
        allowPrivate: true,
        events: ['component.updated'],
        isDrill,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    };
    await hook(false);
    await hook(true);
    await startDrill(search.id, 'Search drill');
    await createWebhookWorker(t.deps, { random: () => 0.5 }).runOnce();
    expect(rx.received.map((r) => r.url.split('/').at(-1))).toEqual(['drill']);
    const body = JSON.parse(rx.received[0]!.body);
    expect(body.component_update).toMatchObject({
      old_status: 'operational',
      new_status: 'major_outage',
    });
  });

  it('a drill leaves no outage in the uptime history', async () => {
    const cart = await makeComponent(t.deps, { name: 'Cart' });
    const incidentId = await startDrill(cart.id, 'Cart drill');
    t.clock.advance(30 * 60_000);
    await resolveIncident(t.deps, { incidentId }, testActor);
    const rows = await readDailyUptime(t.deps.db, t.clock.now(), 'Etc/UTC', 1);
    const today = rows.find((r) => r.id === cart.id)!.days.at(-1)!;
    expect(today.worst).not.toBe('major_outage');
    expect(today.uptime_percent).toBe(100);
  });

  it('a real incident resolved while a drill runs on the same component gives it back operational', async () => {
    const payments = await makeComponent(t.deps, { name: 'Payments' });
    await startDrill(payments.id, 'Payments drill');
    const { incident } = await makeIncident(t.deps, {
      title: 'Payments slow',
      priority: 2,
      components: [{ componentId: payments.id, status: 'degraded_performance' }],
    });
    expect(await publicStatus('Payments')).toBe('degraded_performance');
    await resolveIncident(t.deps, { incidentId: incident.id }, testActor);
    expect(await publicStatus('Payments')).toBe('operational');
  });
});
