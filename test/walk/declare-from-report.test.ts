import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSite, startBrowserSite, type TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/deps.ts';
import { makeUser } from '../helpers/site.ts';
import { fileReport } from '../triage/helpers.ts';
import { asActor, signIn } from './helpers.ts';

describe('declaring from a report', () => {
  let t: TestContext;
  let site: BrowserSite['site'];
  let w: BrowserSite;
  let browser: TestBrowser;
  beforeAll(async () => {
    w = await startBrowserSite();
    ({ t, site, browser } = w);
  });
  afterAll(() => w?.close());

  it('leaves the public title empty and required, with the reporter’s sentence beside it as a hint', async () => {
    await makeUser(t, 'admin', 'pm@example.com');
    const reporter = asActor(await makeUser(t, 'responder', 'sales@example.com'));
    const r = await fileReport(t, reporter, {
      priority: 0,
      whatHappened: 'Bob from ACME says the site is broken for him again!!',
    });
    const page = await signIn(browser, site.base, 'pm@example.com');
    await page.goto(`${site.base}/admin/incidents/new?report=${r.id}`);
    expect(await page.getByLabel('Title').inputValue()).toBe('');
    expect(await page.locator('#report-text').textContent()).toContain(
      'Bob from ACME says the site is broken for him again!!',
    );

    // Sent without a title: refused, nothing declared, the hint still there.
    const [refused] = await Promise.all([
      page.waitForNavigation(),
      page
        .getByRole('button', { name: /^Declare/ })
        .first()
        .click(),
    ]);
    expect(refused?.status()).toBe(422);
    expect(await page.locator('#report-text').textContent()).toContain('Bob from ACME');

    await page.getByLabel('Title').fill('Website unavailable');
    await Promise.all([
      page.waitForURL(/done=declared/),
      page
        .getByRole('button', { name: /^Declare/ })
        .first()
        .click(),
    ]);
    expect(await page.locator('h1').first().textContent()).toBe('Website unavailable');
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${site.base}/`);
    const text = await visitor.locator('main').textContent();
    expect(text).toContain('Website unavailable');
    expect(text).not.toContain('Bob from ACME');
    await page.context().close();
    await visitor.context().close();
  });
});
