import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reports } from '../../db/schema/index.ts';
import { decideReport } from '../../server/domain/reports/decide-report.ts';
import { type BrowserSite, startBrowserSite, type TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/deps.ts';
import { makeUser } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { fileReport } from '../triage/helpers.ts';
import { asActor, signIn } from './helpers.ts';

describe('record details that do not mislead', () => {
  let t: TestContext;
  let site: BrowserSite['site'];
  let w: BrowserSite;
  let browser: TestBrowser;
  let incidentId = '';
  beforeAll(async () => {
    w = await startBrowserSite();
    ({ t, site, browser } = w);
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
    const pm = asActor(await makeUser(t, 'admin', 'pm@example.com'));
    const reporter = asActor(await makeUser(t, 'responder', 'sales@example.com'));
    const r = await fileReport(t, reporter, { priority: 0, whatHappened: 'Nothing loads' });
    await decideReport(t.deps, { reportId: r.id, action: 'declare', title: 'Site down' }, pm);
    const [row] = await t.deps.db.select().from(reports).where(eq(reports.id, r.id));
    incidentId = row!.incidentId!;
  });
  afterAll(() => w?.close());

  it('the resolve prompt counts the reporter among the people it mails', async () => {
    const page = await signIn(browser, site.base, 'pm@example.com');
    await page.goto(`${site.base}/admin/incidents/${incidentId}`);
    await page.getByRole('button', { name: 'Resolve incident…' }).click();
    expect(await page.locator('#h-confirm-resolve').textContent()).toContain('2 people');
    await page.context().close();
  });

  it('the Promises page quotes the holding update with this incident’s own promise (15 minutes for a P0)', async () => {
    const page = await signIn(browser, site.base, 'pm@example.com');
    await page.goto(`${site.base}/admin/incidents/${incidentId}/promises`);
    const label = await page.locator('#h-auto ~ form label').first().textContent();
    expect(label).toContain('Next update in 15 minutes.');
    expect(label).not.toContain('30 minutes');
    await page.context().close();
  });
});
