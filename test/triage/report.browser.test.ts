import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reports } from '../../db/schema/index.ts';
import { testWorker } from '../helpers/outbox.ts';
import { useCompanySite } from '../helpers/walk-setup.ts';
import { PNG } from './helpers.ts';

describe('a company reporter files a report in a real browser with JavaScript off', () => {
  const w = useCompanySite();

  /** The emailed link, pointed at the test server's port. */
  function linkIn(text: string, prefix: string): string {
    const m = text.match(new RegExp(`http://127\\.0\\.0\\.1(${prefix}[A-Za-z0-9_-]+)`));
    if (!m) throw new Error(`no ${prefix} link in ${text}`);
    return w.site.base + m[1];
  }

  it('asks for a link, opens it, answers the five questions with a screenshot and follows the report', async () => {
    const { t, smtp, site, browser } = w;
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(`${site.base}/report`);
    await page.getByLabel('Your work email').fill('sales@acme.com');
    await page.getByRole('button', { name: 'Email me the report form' }).click();
    await page.waitForURL(/\/report\?sent=/);
    expect(await page.locator('main').textContent()).toContain('Check your inbox');

    await testWorker(t).drain();
    const mail = smtp.to('sales@acme.com')[0]!;
    await page.goto(linkIn(mail.parsed.text!, '/report/'));
    await page.getByRole('radio', { name: 'Something is broken that used to work' }).check();
    await page.getByRole('radio', { name: /^P1 All hands now/ }).check();
    await page.getByLabel(/What happened\?/).fill('Invoices page shows an error 500');
    await page.getByLabel('What did you expect?').fill('The list of invoices');
    await page.getByLabel(/How can we reproduce it/).fill('Open https://app.acme.com/invoices');
    const shot = path.join(t.dir, 'error.png');
    writeFileSync(shot, PNG);
    await page.getByLabel(/Screenshot/).setInputFiles(shot);
    await page.getByLabel(/Who is affected/).fill('Three enterprise customers called');
    await page.getByLabel('When did it start?').fill('This morning, 9:40');
    await page.getByRole('button', { name: 'File the report' }).click();
    await page.waitForURL(/\/report\/status\/[\w-]+\?done=filed/);
    const main = await page.locator('main').textContent();
    expect(main).toContain('Report filed');
    expect(main).toContain('Invoices page shows an error 500');
    expect(main).toContain('P1');

    const [row] = await t.deps.db.select().from(reports);
    expect(row).toMatchObject({ reporterEmail: 'sales@acme.com', priority: 1, kind: 'bug' });
    await ctx.close();
  });

  it('answers an outsider like anyone else, naming no address and no company domain', async () => {
    const { site, browser } = w;
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(`${site.base}/report`);
    await page.getByLabel('Your work email').fill('customer@example.org');
    await page.getByRole('button', { name: 'Email me the report form' }).click();
    await page.waitForLoadState();
    const notice = await page.locator('[aria-live=polite]').textContent();
    expect(notice).toContain('If that address can file reports here');
    expect(notice).not.toContain('customer@example.org');
    expect(await page.content()).not.toContain('not a company address');
    await ctx.close();
  });
});
