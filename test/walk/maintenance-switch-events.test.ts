import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { switchMaintenanceOn } from '../../server/domain/settings/switch-maintenance.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { api, makeToken } from '../helpers/api.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeUser } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';
import { useCompanySite } from '../helpers/walk-setup.ts';
import { signIn } from './helpers.ts';

describe('the maintenance switch as an event', () => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver();
  });
  afterAll(() => rx?.close());
  // After the receiver's hooks: the site starts after it and closes before it.
  const w = useCompanySite(async ({ t }) => {
    await makeConfirmedSubscriber(t.deps, 'sales@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    const hook = await admin.post('/api/admin/webhooks', {
      url: `${rx.url}/ops`,
      allowPrivate: true,
      events: ['maintenance.switch'],
    });
    expect(hook.status, JSON.stringify(hook.json)).toBe(201);
  });

  async function hooks() {
    rx.received.length = 0;
    await createWebhookWorker(w.t.deps, { random: () => 0.5 }).runOnce();
    return rx.received.map((r) => ({
      event: r.headers['x-herald-event'],
      body: JSON.parse(r.body),
    }));
  }

  it('switching maintenance on mails the internal list (not the public one) and posts maintenance.switch to webhooks', async () => {
    const { t, smtp } = w;
    await switchMaintenanceOn(t.deps, { message: 'We are moving the database.' }, testActor);
    await testWorker(t).drain();
    const staff = smtp.to('sales@acme.com');
    expect(staff.map((m) => m.parsed.subject)).toEqual([
      expect.stringMatching(/^MAINTENANCE SWITCH ON:/),
    ]);
    expect(staff[0]!.parsed.text).toContain('We are moving the database.');
    expect(staff[0]!.header('list-unsubscribe')).toBeTruthy();
    expect(smtp.to('customer@example.org')).toHaveLength(0);
    const got = await hooks();
    expect(got).toHaveLength(1);
    expect(got[0]!.event).toBe('maintenance.switch');
    expect(got[0]!.body.maintenance_switch).toMatchObject({
      active: true,
      message: 'We are moving the database.',
    });
    smtp.clear();
  });

  it('resolving with the switch on names it and turns it off in the same click; the off is an event too', async () => {
    const { t, smtp, site, browser } = w;
    await makeUser(t, 'admin', 'pm@acme.com');
    const inc = await makeIncident(t.deps, { title: 'Database is slow', priority: 2 });
    const page = await signIn(browser, site.base, 'pm@acme.com');
    await page.goto(`${site.base}/admin/incidents/${inc.incident.id}`);
    await page.getByRole('button', { name: 'Resolve incident…' }).click();
    const warning = page.locator('#switch-still-on');
    expect(await warning.textContent()).toContain('The maintenance switch is still ON');
    expect(await warning.textContent()).toContain('We are moving the database.');
    await Promise.all([
      page.waitForURL(/done=resolved-switch-off/),
      page.getByRole('button', { name: /turn the switch off too/ }).click(),
    ]);
    expect(await page.locator('.flash').textContent()).toContain('maintenance switch is off');

    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${site.base}/`);
    expect(await visitor.locator('.banner-maintenance').count()).toBe(0);

    await testWorker(t).drain();
    expect(smtp.to('sales@acme.com').map((m) => m.parsed.subject)).toContainEqual(
      expect.stringMatching(/^MAINTENANCE SWITCH OFF:/),
    );
    const got = await hooks();
    expect(got.map((g) => g.body.maintenance_switch?.active)).toEqual([false]);
    await page.context().close();
    await visitor.context().close();
  });

  it('the resolve confirmation does not mention the switch when it is off', async () => {
    const { t, site, browser } = w;
    const inc = await makeIncident(t.deps, { title: 'Search is slow', priority: 2 });
    const page = await signIn(browser, site.base, 'pm@acme.com');
    await page.goto(`${site.base}/admin/incidents/${inc.incident.id}`);
    await page.getByRole('button', { name: 'Resolve incident…' }).click();
    await page.locator('#h-confirm-resolve').waitFor();
    expect(await page.locator('#switch-still-on').count()).toBe(0);
    await page.context().close();
  });
});
