import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';
import { makeUser, TEST_PASSWORD } from '../helpers/site.ts';

describe('the maintenance switch in a real browser', () => {
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

  it('signs in, switches maintenance on and lands back on the switch with a confirmation, the banner shows on /, then switches off', async () => {
    await makeUser(t, 'responder', 'switcher@example.com');
    const pm = await browser.newContext({ javaScriptEnabled: false });
    const page = await pm.newPage();
    await page.goto(`${site.base}/admin/switch`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill('switcher@example.com');
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${site.base}/admin/switch`);

    await page.getByLabel('Message for visitors').fill('We are moving to a new data centre.');
    const on = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('button', { name: 'Switch maintenance ON' }).click(),
    ]);
    expect(on[0]?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/admin/switch');
    expect(await page.locator('.flash').textContent()).toContain('Maintenance mode is ON');
    expect(await page.locator('h1').first().textContent()).not.toMatch(/not found/i);

    const visitor = await browser.newContext();
    const pub = await visitor.newPage();
    await pub.goto(`${site.base}/`);
    const banner = pub.locator('.banner-maintenance');
    await expect.poll(() => banner.textContent()).toContain('We are moving to a new data centre.');

    const off = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('button', { name: 'Switch maintenance OFF' }).click(),
    ]);
    expect(off[0]?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/admin/switch');
    expect(await page.locator('.flash').textContent()).toContain('Maintenance mode is off');

    await pub.reload();
    expect(await pub.locator('.banner-maintenance').count()).toBe(0);
    await visitor.close();
    await pm.close();
  });
});
