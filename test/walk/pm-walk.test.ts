import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, reports } from '../../db/schema/index.ts';
import { seedDemo } from '../../server/demo/seed-demo.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { type MailBrowserSite, startBrowserSite } from '../helpers/browser.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeUser } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { fileReport } from '../triage/helpers.ts';
import { asActor, signIn } from './helpers.ts';

/** Where the screenshots go, for a person to look at (SCREENSHOT_DIR keeps them). */
const shots = process.env.SCREENSHOT_DIR ?? path.join(tmpdir(), `herald-walk-${process.pid}`);

/** What the PM did with the mouse and the keyboard, counted as the walk goes. */
class Counted {
  clicks = 0;
  typed = 0;
  page: Page;
  constructor(page: Page) {
    this.page = page;
  }
  async click(l: Locator) {
    this.clicks += 1;
    await l.click();
  }
  /** A click that submits a form: waits for the answer's address, not for a time. */
  async submit(l: Locator, url: RegExp) {
    this.clicks += 1;
    await Promise.all([this.page.waitForURL(url), l.click()]);
  }
  async fill(l: Locator, text: string) {
    this.typed += 1;
    await l.fill(text);
  }
  async pick(l: Locator, label: string) {
    this.clicks += 1;
    await l.selectOption({ label });
  }
}

describe('the PM’s walk on a fresh demo install, in chromium, with mail to a real SMTP sink', () => {
  let w: MailBrowserSite;
  let t: MailBrowserSite['t'];
  let smtp: MailBrowserSite['smtp'];
  let site: MailBrowserSite['site'];
  let browser: MailBrowserSite['browser'];
  beforeAll(async () => {
    w = await startBrowserSite({ mail: true, env: { COMPANY_DOMAINS: 'acme.com' } });
    ({ t, smtp, site, browser } = w);
    t.clock.set('2026-12-07T08:00:00Z');
    expect(await seedDemo(t.deps)).toBe(true);
  });
  afterAll(() => w?.close());

  const tick = async () => {
    const r = await createScheduler(t.deps).runOnce();
    expect(r.errors).toEqual([]);
    await testWorker(t).drain();
  };
  const subjects = (to: string) => smtp.to(to).map((m) => m.parsed.subject ?? '');

  it('report, re-rate, declare, update, a lapsed promise, the switch, the record with a confirmed review and a retraction, the all-clear, the post-mortem, the follow-up, the look back and a drill started now', async () => {
    const pmUser = await makeUser(t, 'admin', 'pm@acme.com');
    await makeUser(t, 'responder', 'dba@acme.com');
    const reporter = asActor(await makeUser(t, 'responder', 'sales@acme.com'));
    await makeConfirmedSubscriber(t.deps, 'exec@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');

    // An employee files a P0 report; the first admin is on duty and hears of it at once.
    const report = await fileReport(t, reporter, {
      priority: 0,
      whatHappened: 'Checkout shows a blank page for everyone',
    });
    await testWorker(t).drain();
    expect(subjects('pm@acme.com')).toEqual([expect.stringMatching(/P0 REPORT/)]);

    let page = await signIn(browser, site.base, 'pm@acme.com');
    const pm = new Counted(page);
    pm.clicks += 1; // signing in: the button
    pm.typed += 2; // email and password

    // Re-rate with a reason the reporter is told, then declare from the report.
    await page.goto(`${site.base}/admin/reports/${report.id}`);
    await pm.click(page.getByRole('radio', { name: /^P1/ }).first());
    await pm.fill(page.getByLabel('Reason (sent to the reporter)'), 'Card payments still work');
    await pm.submit(page.getByRole('button', { name: 'Re-rate' }), /\/admin\/reports\//);
    await pm.submit(
      page.getByRole('link', { name: 'Declare an incident from this report' }),
      /\/admin\/incidents\/new/,
    );
    await pm.fill(page.getByLabel('Title'), 'Checkout unavailable');
    await pm.fill(page.getByLabel('Message (public)'), 'Checkout fails. We are investigating.');
    await pm.submit(page.getByRole('button', { name: 'Declare incident' }), /done=declared/);
    const [rep] = await t.deps.db.select().from(reports).where(eq(reports.id, report.id));
    const id = rep!.incidentId!;
    expect(id).toBeTruthy();
    await testWorker(t).drain();
    expect(subjects('exec@acme.com')).toContain('PRIORITY 1 ISSUE UPDATE: CHECKOUT UNAVAILABLE');
    expect(subjects('customer@example.org').some((s) => s.includes('Checkout unavailable'))).toBe(
      true,
    );

    // An update, then the promise lapses: reminder, OVERDUE at once, "late" after the grace.
    await pm.fill(page.locator('#f-body'), 'The payment service is failing. Rolling back.');
    await pm.submit(page.getByRole('button', { name: 'Post update' }), /done=updated/);
    const [inc] = await t.deps.db.select().from(incidents).where(eq(incidents.id, id));
    t.clock.set(new Date(inc!.nextUpdateDueAt!.getTime() - 4 * 60_000));
    await tick();
    expect(subjects('pm@acme.com').some((s) => /reminder|due/i.test(s))).toBe(true);
    t.clock.set(new Date(inc!.nextUpdateDueAt!.getTime() + 60_000));
    await tick();
    await page.goto(`${site.base}/admin`);
    const ours = page.locator('tr', { hasText: 'Checkout unavailable' });
    expect(await ours.locator('td.overdue').textContent()).toContain('OVERDUE');
    t.clock.set(new Date(inc!.nextUpdateDueAt!.getTime() + 4 * 60_000));
    await tick();
    const visitor = await browser.newPage();
    await visitor.goto(`${site.base}/`);
    expect(await visitor.locator('.next-update').first().textContent()).toMatch(/late/);
    await page.goto(`${site.base}/admin/incidents/${id}`);
    await pm.submit(page.getByRole('button', { name: /^Post holding update/ }), /done=holding/);

    // The maintenance switch, which tells the internal list.
    await page.goto(`${site.base}/admin/switch`);
    await pm.fill(page.getByLabel(/Message for visitors/), 'Checkout is paused while we fix it.');
    await pm.submit(page.getByRole('button', { name: 'Switch maintenance ON' }), /\/admin/);
    await testWorker(t).drain();
    expect(subjects('exec@acme.com').some((s) => s.startsWith('MAINTENANCE SWITCH ON'))).toBe(true);

    // The record: a change the DBA must review, two decisions, one of them retracted.
    await page.goto(`${site.base}/admin/incidents/${id}`);
    await pm.click(page.locator('.record-details > summary'));
    await pm.fill(
      page.getByLabel('Script or command run against production'),
      'UPDATE orders SET state = 2',
    );
    await pm.fill(page.getByLabel('Where'), 'orders-db primary');
    await pm.pick(page.getByLabel('Who should review it'), 'dba@acme.com');
    await pm.fill(page.getByLabel('Records touched'), '1,240');
    await pm.click(page.getByLabel('A backup was taken first'));
    await pm.submit(page.getByRole('button', { name: 'Log change' }), /done=change/);
    for (let n = 0; n < 2; n++) {
      await pm.fill(page.getByLabel('Decision', { exact: true }), 'Roll back deploy 4711');
      await pm.submit(page.getByRole('button', { name: 'Log decision' }), /done=decision/);
    }
    const second = page.locator('li.decision').nth(1);
    await pm.click(second.locator('summary'));
    await pm.fill(second.getByLabel('Why retract it'), 'logged twice');
    await pm.submit(
      second.getByRole('button', { name: 'Retract decision' }),
      /done=decision-retract/,
    );
    expect(await page.locator('li.decision del').count()).toBe(1);
    expect(await page.locator('li.change .review').textContent()).toBe(
      'review requested from dba@acme.com',
    );

    // The DBA is asked by mail and on the dashboard, and confirms.
    await testWorker(t).drain();
    expect(subjects('dba@acme.com')).toContain(
      'REVIEW REQUESTED: CHANGE ON ORDERS-DB PRIMARY (P1: Checkout unavailable)',
    );
    const dbaPage = await signIn(browser, site.base, 'dba@acme.com');
    const dba = new Counted(dbaPage);
    await dba.submit(dbaPage.locator('.review-requests a'), new RegExp(`/admin/incidents/${id}`));
    await dba.submit(
      dbaPage.getByRole('button', { name: 'Confirm: I reviewed it' }),
      /done=change-review/,
    );
    expect(await dbaPage.locator('li.change .review').textContent()).toBe(
      'reviewed by dba@acme.com',
    );
    await dbaPage.context().close();

    // The all-clear, turning the switch off in the same click; the reporter is among those
    // the prompt counts.
    await page.goto(`${site.base}/admin/incidents/${id}`);
    await pm.click(page.getByRole('button', { name: 'Resolve incident…' }));
    expect(await page.locator('#switch-still-on').count()).toBe(1);
    await pm.submit(
      page.getByRole('button', { name: /turn the switch off too/ }),
      /done=resolved-switch-off/,
    );
    await testWorker(t).drain();
    expect(subjects('exec@acme.com')).toContain('PRIORITY 1 ISSUE RESOLVED: CHECKOUT UNAVAILABLE');

    // The post-mortem: pre-filled from the record, reviewed, published with mail.
    await page.goto(`${site.base}/admin/incidents/${id}/postmortem`);
    expect(await page.locator('#f-internal').inputValue()).toContain('reviewed by dba@acme.com');
    expect(await page.locator('#f-internal').inputValue()).not.toContain('logged twice');
    await pm.submit(page.getByRole('button', { name: 'Save and review publication' }), /review=1/);
    await pm.submit(page.getByRole('button', { name: /^Publish and email/ }), /done=published/);

    // The next-day follow-up goes out at its proposed time to the lists and the reporter.
    t.clock.set(new Date(t.clock.now().getTime() + 26 * 60 * 60_000));
    await tick();
    await tick();
    expect(subjects('customer@example.org')).toContain('Follow-up: Checkout unavailable');
    // What the reporter heard, for the person reading the walk's output.
    console.log(`The reporter's mail: ${JSON.stringify(subjects('sales@acme.com'))}`);

    // The next day: the session of the day before has expired, so the PM signs in again.
    await page.context().close();
    page = await signIn(browser, site.base, 'pm@acme.com');
    pm.page = page;
    pm.clicks += 1;
    pm.typed += 2;

    // The look back, live.
    await page.goto(`${site.base}/admin/look-back`);
    const lookBack = (await page.locator('main').textContent()) ?? '';
    expect(lookBack).toContain('Median time from the start to the first update');
    expect(lookBack).toContain('Median time from the declaration to the second update');

    // A drill, started now: no time to type.
    await page.goto(`${site.base}/admin/drills`);
    await pm.fill(page.getByLabel('Title'), 'Checkout drill');
    await pm.fill(page.getByLabel('Scenario (what breaks)'), 'Card payments fail');
    await pm.click(page.getByRole('checkbox', { name: 'dba@acme.com' }));
    await pm.submit(
      page.getByRole('button', { name: 'Start the drill now' }),
      /done=drill-started/,
    );
    expect(await page.locator('.flash').textContent()).toContain('Drill started');

    // Screenshots a person looks at: the incident page and the dashboard, at 390 and 1280 px.
    mkdirSync(shots, { recursive: true });
    const p = await signIn(browser, site.base, 'pm@acme.com', 390, 844);
    for (const [width, height] of [
      [390, 844],
      [1280, 800],
    ] as const) {
      await p.setViewportSize({ width, height });
      await p.goto(`${site.base}/admin/incidents/${id}`);
      await p.screenshot({ path: path.join(shots, `incident-${width}.png`), fullPage: true });
      await p.goto(`${site.base}/admin`);
      await p.screenshot({ path: path.join(shots, `dashboard-${width}.png`), fullPage: true });
    }
    await p.context().close();
    await visitor.close();
    await page.context().close();

    console.log(
      `PM walk: ${pm.clicks} clicks and ${pm.typed} typed fields for the PM (before: about 47 and 37); the reviewer: ${dba.clicks} clicks, ${dba.typed} typed fields`,
    );
    expect(pm.clicks).toBeLessThan(47);
    expect(pmUser.id).toBeTruthy();
    // The whole walk is one test of some forty pages: the suite's 30 s guard is sized for one
    // step, and a busy machine takes longer than that over all of them.
  }, 120_000);
});
