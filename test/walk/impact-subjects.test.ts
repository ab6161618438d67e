import { afterEach, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { makeUser } from '../helpers/site.ts';
import { listBySlug, makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { useCompanySite } from '../helpers/walk-setup.ts';
import { signIn } from './helpers.ts';

describe('public lists and pages speak in impact', () => {
  const w = useCompanySite(async ({ t }) => {
    await makeConfirmedSubscriber(t.deps, 'sales@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
    await makeUser(t, 'admin', 'pm@acme.com');
  });
  afterEach(() => w.smtp.clear());

  it('the customer list gets "Major outage: Website is down" and no priority; the internal list keeps PRIORITY 0', async () => {
    const { t, smtp, site, browser, mailTo } = w;
    const inc = await makeIncident(t.deps, {
      title: 'Website is down',
      priority: 0,
      impact: 'critical',
      body: 'We are looking into it.',
    });
    const customer = await mailTo('customer@example.org');
    expect(customer.map((m) => m.parsed.subject)).toEqual(['Major outage: Website is down']);
    for (const part of [customer[0]!.parsed.text!, customer[0]!.parsed.html!]) {
      // Links left out: a random link token can hold the letters P0.
      expect(part.replace(/https?:\/\/[^\s"<>]+/g, '')).not.toMatch(/PRIORITY|P0/);
      expect(part).toMatch(/Major outage/i);
    }
    const staff = await mailTo('sales@acme.com');
    expect(staff.map((m) => m.parsed.subject)).toEqual([
      'PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN',
    ]);
    expect(staff[0]!.parsed.text).toContain('PRIORITY 0: Website is down');

    const visitor = await (await browser.newContext()).newPage();
    for (const path of ['/', `/incidents/${inc.incident.id}`, '/history']) {
      await visitor.goto(`${site.base}${path}`);
      const meta = await visitor.locator('.meta').first().textContent();
      expect(meta).toContain('Major outage');
      expect(meta).not.toMatch(/\bP0\b/);
    }
    await visitor.context().close();
    smtp.clear();
    await resolveIncident(
      t.deps,
      { incidentId: inc.incident.id, body: 'Fixed: a bad deploy, rolled back.' },
      testActor,
    );
    expect((await mailTo('customer@example.org')).map((m) => m.parsed.subject)).toEqual([
      'Resolved: Website is down',
    ]);
  });

  it('an admin edits a list’s subject templates and the next broadcast to that list uses them', async () => {
    const { t, smtp, site, browser, mailTo } = w;
    const customers = await listBySlug(t.deps, 'customers');
    const page = await signIn(browser, site.base, 'pm@acme.com');
    await page.goto(`${site.base}/admin/lists/${customers.id}`);
    await page.getByLabel(/^Update subject/).fill('{impact} at Acme: {title} ({status})');
    await page.getByLabel(/^All-clear subject/).fill('{priority');
    const [refused] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    // A placeholder Herald does not know is refused with the typed text kept.
    expect(refused?.status()).toBe(422);
    expect(await page.locator('.form-errors').textContent()).toContain('may only use');
    expect(await page.getByLabel(/^Update subject/).inputValue()).toBe(
      '{impact} at Acme: {title} ({status})',
    );
    await page.getByLabel(/^All-clear subject/).fill('Fixed: {title}');
    await Promise.all([
      page.waitForURL(/done=saved/),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    await page.context().close();

    const inc = await makeIncident(t.deps, {
      title: 'Search is slow',
      priority: 1,
      impact: 'major',
    });
    expect((await mailTo('customer@example.org')).map((m) => m.parsed.subject)).toEqual([
      'Partial outage at Acme: Search is slow (Investigating)',
    ]);
    smtp.clear();
    await postIncidentUpdate(
      t.deps,
      { incidentId: inc.incident.id, status: 'resolved', body: 'Back to normal.' },
      testActor,
    );
    expect((await mailTo('customer@example.org')).map((m) => m.parsed.subject)).toEqual([
      'Fixed: Search is slow',
    ]);
  });
});
