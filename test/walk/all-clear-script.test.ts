import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeUser } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { useCompanySite } from '../helpers/walk-setup.ts';
import { signIn } from './helpers.ts';

const WORKING = 'Our team is working on it right now';

describe('the all-clear carries the closing support script', () => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver();
  });
  afterAll(() => rx?.close());
  // After the receiver's hooks: the site starts after it and closes before it.
  const w = useCompanySite(async ({ t }) => {
    await makeConfirmedSubscriber(t.deps, 'sales@acme.com', 'stakeholders');
    await createWebhook(
      t.deps,
      { url: `${rx.url}/slack`, kind: 'slack', internal: true, allowPrivate: true },
      testActor,
    );
    await makeUser(t, 'admin', 'pm@acme.com');
  });

  async function slack() {
    rx.received.length = 0;
    await createWebhookWorker(w.t.deps, { random: () => 0.5 }).runOnce();
    return rx.received.map((r) => r.body);
  }

  it('the resolve form offers the closing script, and the internal all-clear mail and Slack post carry what the PM kept', async () => {
    const { t, smtp, site, browser } = w;
    const inc = await makeIncident(t.deps, { title: 'Checkout is down', priority: 0 });
    await testWorker(t).drain();
    expect(smtp.to('sales@acme.com')[0]!.parsed.text).toContain(WORKING);
    expect((await slack()).join('\n')).toContain(WORKING);
    smtp.clear();

    const page = await signIn(browser, site.base, 'pm@acme.com');
    await page.goto(`${site.base}/admin/incidents/${inc.incident.id}`);
    const script = page.getByLabel(/^Support script for the all-clear/);
    expect(await script.inputValue()).toContain('It is resolved: Checkout is down.');
    await script.fill('What to say: "Fixed. Orders placed during the outage will be honoured."');
    await page.getByRole('button', { name: 'Resolve incident…' }).click();
    await Promise.all([
      page.waitForURL(/done=resolved/),
      page.getByRole('button', { name: /^Yes, resolve/ }).click(),
    ]);
    await page.context().close();

    await testWorker(t).drain();
    const [allClear] = smtp.to('sales@acme.com');
    expect(allClear!.parsed.subject).toMatch(/ISSUE RESOLVED/);
    expect(allClear!.parsed.text).toContain('Orders placed during the outage will be honoured.');
    expect(allClear!.parsed.text).not.toContain(WORKING);
    const posts = (await slack()).join('\n');
    expect(posts).toContain('Orders placed during the outage will be honoured.');
    expect(posts).not.toContain(WORKING);
  });

  it('resolving through the API without a script sends the closing template, not the working-on-it one', async () => {
    const { t, smtp } = w;
    const inc = await makeIncident(t.deps, { title: 'Search is down', priority: 1 });
    await testWorker(t).drain();
    await slack();
    smtp.clear();
    await resolveIncident(t.deps, { incidentId: inc.incident.id }, testActor);
    await testWorker(t).drain();
    const text = smtp.to('sales@acme.com')[0]!.parsed.text!;
    expect(text).toContain('It is resolved: Search is down.');
    expect(text).not.toContain(WORKING);
    expect((await slack()).join('\n')).not.toContain(WORKING);
  });
});
