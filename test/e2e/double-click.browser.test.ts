import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';
import { makeIncident } from '../helpers/factories.ts';
import { makeUser, TEST_PASSWORD } from '../helpers/site.ts';

declare global {
  interface Window {
    /** Each submit of the page that reached the window: whether something had stopped it. */
    submits: boolean[];
  }
}

describe('a double-click on "Post update" in a real browser', () => {
  let w: BrowserSite;
  beforeAll(async () => {
    w = await startBrowserSite();
  });
  afterAll(() => w?.close());

  it('with JavaScript on, lets one submit through and disables the buttons while it is sent', async () => {
    const { t, site, browser } = w;
    await makeUser(t, 'responder', 'oncall@example.com');
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Checkout down' });
    const page = await browser.newPage();
    await page.goto(`${site.base}/login`);
    await page.getByLabel('Email').fill('oncall@example.com');
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${site.base}/admin`);
    await page.goto(`${site.base}/admin/incidents/${incident.id}`);
    await page.locator('#f-body').fill('We are failing over to the second processor.');
    // The page stays put (the test stops each submit last, at the window) so what the admin
    // script did can be read; the server side of a repeat is test/web/form-once.test.ts.
    await page.evaluate(() => {
      window.submits = [];
      window.addEventListener('submit', (event) => {
        window.submits.push(event.defaultPrevented);
        event.preventDefault();
      });
    });
    const button = page.getByRole('button', { name: 'Post update', exact: true });
    await button.dblclick();
    await expect.poll(() => button.isDisabled()).toBe(true);
    // A third click, on the disabled button, sends nothing either.
    const box = (await button.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const submits = await page.evaluate(() => window.submits);
    expect(submits.filter((stopped) => !stopped)).toHaveLength(1);
  });
});
