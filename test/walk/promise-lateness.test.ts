import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import {
  type BrowserSite,
  type MailBrowserSite,
  startBrowserSite,
  type TestBrowser,
} from '../helpers/browser.ts';
import type { TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeUser } from '../helpers/site.ts';
import type { SmtpSink } from '../helpers/smtp.ts';
import { signIn } from './helpers.ts';

describe('a promise nobody owns', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: BrowserSite['site'];
  let w: MailBrowserSite;
  let browser: TestBrowser;
  beforeAll(async () => {
    w = await startBrowserSite({ mail: true });
    ({ t, smtp, site, browser } = w);
  });
  afterAll(() => w?.close());

  it('an owner-less incident reminds the person on duty, shows overdue on the dashboard at once and late on the public page after the grace', async () => {
    await makeUser(t, 'admin', 'pm@example.com');
    // Declared with a command-line token: nobody owns it.
    const inc = await makeIncident(t.deps, { title: 'Checkout is down', priority: 1 });
    const scheduler = createScheduler(t.deps);

    t.clock.advance(26 * 60_000);
    await scheduler.runOnce();
    await testWorker(t).drain();
    const reminders = smtp.to('pm@example.com');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]!.parsed.text).toContain('Checkout is down');

    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${site.base}/`);
    expect(await visitor.locator('.next-update').textContent()).toMatch(/^Next update by/);

    // One minute past the promise: the dashboard says overdue, the public page still waits.
    t.clock.advance(5 * 60_000);
    await scheduler.runOnce();
    const pm = await signIn(browser, site.base, 'pm@example.com');
    await pm.goto(`${site.base}/admin`);
    expect(await pm.locator('td.overdue').textContent()).toContain('OVERDUE by 1 min');
    await visitor.goto(`${site.base}/`);
    expect(await visitor.locator('.next-update').textContent()).toMatch(/^Next update by/);

    // Past the grace: the page says the update is late instead of showing a time gone by.
    t.clock.advance(3 * 60_000);
    await scheduler.runOnce();
    await visitor.goto(`${site.base}/`);
    expect(await visitor.locator('.next-update').textContent()).toMatch(/^The next update is late/);
    await visitor.goto(`${site.base}/incidents/${inc.incident.id}`);
    expect(await visitor.locator('.next-update').textContent()).toMatch(/^The next update is late/);
    // A German reader reads the same in German.
    await visitor.goto(`${site.base}/incidents/${inc.incident.id}?lang=de`);
    expect(await visitor.locator('.next-update').textContent()).toMatch(
      /^Das nächste Update ist überfällig/,
    );
    const v2 = (await (await fetch(`${site.base}/api/v2/incidents/unresolved.json`)).json()) as {
      incidents: { next_update_late: boolean }[];
    };
    expect(v2.incidents[0]!.next_update_late).toBe(true);
    await pm.context().close();
    await visitor.context().close();
  });
});
