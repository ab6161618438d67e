import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';
import { makeComponent } from '../helpers/factories.ts';
import { makeUser, TEST_PASSWORD } from '../helpers/site.ts';

describe('a responder declares an incident in a real browser', () => {
  let w: BrowserSite;
  let t: BrowserSite['t'];
  let site: BrowserSite['site'];
  let browser: BrowserSite['browser'];
  beforeAll(async () => {
    // Plain http on loopback (the helper's default): the session cookie must not be
    // Secure-only here.
    w = await startBrowserSite();
    ({ t, site, browser } = w);
  });
  afterAll(() => w?.close());

  it('signs in, declares a P1 affecting a component, and a visitor sees it on / and in summary.json', async () => {
    await makeUser(t, 'responder', 'oncall@example.com');
    const checkout = await makeComponent(t.deps, { name: 'Checkout' });
    await makeComponent(t.deps, { name: 'Marketing site' });

    const pm = await browser.newContext({ javaScriptEnabled: false });
    const page = await pm.newPage();
    await page.goto(`${site.base}/admin/incidents/new`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill('oncall@example.com');
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${site.base}/admin/incidents/new`);

    await page.getByLabel('Title').fill('Checkout is failing');
    await page.getByRole('radio', { name: /^P1 All hands/ }).check();
    await page.getByLabel('New status of Checkout').selectOption('major_outage');
    await page.getByRole('button', { name: 'Investigating' }).click();
    await expect
      .poll(() => page.getByLabel('Message (public)').inputValue())
      .toContain('investigating');
    expect(await page.getByLabel('Title').inputValue()).toBe('Checkout is failing');
    await page.getByLabel(/Internal note/).fill('Support: offer invoice payment.');
    await page.getByRole('radio', { name: '15 minutes' }).check();
    await page.getByRole('button', { name: 'Declare incident' }).click();
    await page.waitForURL(/\/admin\/incidents\/\w+\?done=declared/);
    expect(await page.locator('.flash').textContent()).toContain('Incident declared');
    await pm.close();

    const visitor = await browser.newContext();
    const pub = await visitor.newPage();
    await pub.goto(`${site.base}/`);
    const active = pub.locator('section[aria-labelledby="active-incidents"]');
    await expect.poll(() => active.textContent()).toContain('Checkout is failing');
    // Visitors read the impact, never the team's priority.
    expect(await active.textContent()).toMatch(/Major outage|Partial outage/);
    expect(await active.textContent()).not.toContain('P1');
    expect(await pub.locator('body').textContent()).not.toContain('offer invoice');
    const res = await pub.goto(`${site.base}/api/v2/summary.json`);
    const summary = await res!.json();
    expect(summary.incidents).toHaveLength(1);
    expect(summary.incidents[0]).toMatchObject({
      name: 'Checkout is failing',
      status: 'investigating',
    });
    // The public hears the impact; the team's P1 stays inside.
    expect(summary.incidents[0]).not.toHaveProperty('priority');
    expect(summary.components.find((c: { id: string }) => c.id === checkout.id).status).toBe(
      'major_outage',
    );
    await visitor.close();
  });
});
