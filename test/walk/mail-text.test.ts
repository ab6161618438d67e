import { eq } from 'drizzle-orm';
import { reports } from '../../db/schema/index.ts';
import { describe, expect, it } from 'vitest';
import { decideReport } from '../../server/domain/reports/decide-report.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeUser } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { useCompanySite } from '../helpers/walk-setup.ts';
import { fileReport } from '../triage/helpers.ts';
import { asActor, signIn } from './helpers.ts';

describe('mail text that reads right', () => {
  const w = useCompanySite(async ({ t }) => {
    await makeConfirmedSubscriber(t.deps, 'sales@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
  });

  it('no text part starts with a blank line or has two blank lines in a row, public or internal', async () => {
    const { t, smtp } = w;
    const long = `https://grafana.example.com/d/abc/${'x'.repeat(180)}`;
    const inc = await makeIncident(t.deps, {
      title: 'Website is down',
      priority: 0,
      internalNote: `Dashboard: ${long}`,
    });
    await resolveIncident(
      t.deps,
      { incidentId: inc.incident.id, body: 'Fixed.' },
      asActor(await makeUser(t, 'admin')),
    );
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    expect(smtp.received.length).toBeGreaterThanOrEqual(4);
    for (const m of smtp.received) {
      const text = m.parsed.text!;
      expect(text.startsWith('\n'), m.parsed.subject).toBe(false);
      expect(text, m.parsed.subject).not.toMatch(/\n[ \t]*\n[ \t]*\n/);
    }
    // The mail's column (the internal note box in it) wraps a long URL instead of widening the
    // mail on a phone (test/mail/email-wrapping.browser.test.ts shows it in a browser).
    const internal = smtp.to('sales@acme.com')[0]!.parsed.html!;
    expect(internal).toMatch(/max-width:600px;[^"]*overflow-wrap:anywhere/);
  });

  it('the reporter’s all-clear is titled RESOLVED, not ISSUE UPDATE', async () => {
    const { t, smtp } = w;
    smtp.clear();
    const pm = asActor(await makeUser(t, 'admin'));
    const reporter = asActor(await makeUser(t, 'responder'));
    const r = await fileReport(t, reporter, { priority: 1, whatHappened: 'Exports fail' });
    await decideReport(t.deps, { reportId: r.id, action: 'declare', title: 'Exports failing' }, pm);
    const scheduler = createScheduler(t.deps);
    await scheduler.runOnce();
    const [row] = await t.deps.db.select().from(reports).where(eq(reports.id, r.id));
    t.clock.advance(60_000);
    await resolveIncident(t.deps, { incidentId: row!.incidentId!, body: 'Exports work.' }, pm);
    await scheduler.runOnce();
    await testWorker(t).drain();
    const subjects = smtp.to(reporter.label).map((m) => m.parsed.subject);
    expect(subjects).toContain('PRIORITY 1 ISSUE RESOLVED: EXPORTS FAILING');
  });

  it('the report form’s text areas use the column’s width on a 1280 px page', async () => {
    const { t, site, browser } = w;
    await makeUser(t, 'responder', 'writer@acme.com');
    const page = await signIn(browser, site.base, 'writer@acme.com');
    await page.goto(`${site.base}/report`);
    const box = await page.locator('#r-whatHappened').boundingBox();
    expect(box!.width).toBeGreaterThan(400);
    await page.context().close();
  });
});
