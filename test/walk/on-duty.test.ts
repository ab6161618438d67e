import { afterEach, describe, expect, it } from 'vitest';
import { setOnDuty } from '../../server/domain/reports/update-triage-settings.ts';
import { testActor } from '../helpers/deps.ts';
import { makeUser } from '../helpers/site.ts';
import { useCompanySite } from '../helpers/walk-setup.ts';
import { eventsOf, fileReport } from '../triage/helpers.ts';
import { asActor, signIn } from './helpers.ts';

describe('who is on duty', () => {
  const w = useCompanySite();
  afterEach(() => w.smtp.clear());

  it('on a fresh install the first admin is on duty and hears of a P0 report at once, before any timebox step', async () => {
    const { t, mailTo } = w;
    await makeUser(t, 'admin', 'first@acme.com');
    await makeUser(t, 'admin', 'second@acme.com');
    const reporter = asActor(await makeUser(t, 'responder', 'sales@acme.com'));
    const r = await fileReport(t, reporter, { priority: 0, whatHappened: 'Website is down' });

    const alerts = await mailTo('first@acme.com');
    expect(alerts.map((m) => m.parsed.subject)).toEqual([
      expect.stringMatching(/P0 REPORT: WEBSITE IS DOWN$/),
    ]);
    expect(alerts[0]!.parsed.text).toContain('A new P0 report needs a decision by');
    // Only the one on duty: the second admin is not woken while someone is.
    expect(await mailTo('second@acme.com')).toHaveLength(0);
    expect((await eventsOf(t, r.id)).map((e) => e.action)).toContain('alert');
  });

  it('putting someone else on duty ends the first admin’s default turn', async () => {
    const { t, mailTo } = w;
    const oncall = await makeUser(t, 'responder', 'oncall@acme.com');
    await setOnDuty(t.deps, { userId: oncall.id, onDuty: true }, testActor);
    const reporter = asActor(await makeUser(t, 'responder', 'support@acme.com'));
    await fileReport(t, reporter, { priority: 1, whatHappened: 'Exports fail' });
    expect(await mailTo('oncall@acme.com')).toHaveLength(1);
    expect(await mailTo('first@acme.com')).toHaveLength(0);
    await setOnDuty(t.deps, { userId: oncall.id, onDuty: false }, testActor);
  });

  it('with nobody on duty a P1 report goes to every admin at once and the dashboard says nobody is on duty', async () => {
    const { t, site, browser, mailTo } = w;
    const reporter = asActor(await makeUser(t, 'responder', 'cs@acme.com'));
    await fileReport(t, reporter, { priority: 1, whatHappened: 'Invoices are late' });
    expect(await mailTo('first@acme.com')).toHaveLength(1);
    expect(await mailTo('second@acme.com')).toHaveLength(1);
    expect(await mailTo('oncall@acme.com')).toHaveLength(0);

    const page = await signIn(browser, site.base, 'second@acme.com');
    await page.goto(`${site.base}/admin`);
    const banner = page.locator('#nobody-on-duty');
    expect(await banner.textContent()).toContain('Nobody is on duty.');
    await banner.getByRole('link', { name: 'Mark someone on duty' }).click();
    await page.getByLabel('second@acme.com').check();
    await Promise.all([
      page.waitForURL(/done=saved/),
      page.getByRole('button', { name: /save/i }).click(),
    ]);
    await page.goto(`${site.base}/admin`);
    expect(await page.locator('#nobody-on-duty').count()).toBe(0);
    await page.context().close();
  });

  it('a P2 report alerts nobody: only P0/P1 are timeboxed', async () => {
    const { t, mailTo } = w;
    const reporter = asActor(await makeUser(t, 'responder', 'ops@acme.com'));
    await fileReport(t, reporter, { priority: 2, whatHappened: 'Typo on pricing page' });
    expect(await mailTo('second@acme.com')).toHaveLength(0);
  });
});
