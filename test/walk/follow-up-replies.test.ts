import { eq } from 'drizzle-orm';
import { reports } from '../../db/schema/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { publishPostmortem } from '../../server/domain/postmortems/publish-postmortem.ts';
import { savePostmortem } from '../../server/domain/postmortems/save-postmortem.ts';
import { scheduleFollowUp } from '../../server/domain/record/schedule-follow-up.ts';
import { decideReport } from '../../server/domain/reports/decide-report.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeUser } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { fileReport } from '../triage/helpers.ts';
import { asActor } from './helpers.ts';

describe('the next-day follow-up can be answered', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  async function declareResolveAndSend(opts: { replyTo?: string; postmortem: boolean }) {
    const pm = asActor(await makeUser(t, 'admin'));
    const reporter = asActor(await makeUser(t, 'responder'));
    const r = await fileReport(t, reporter, { priority: 1, whatHappened: 'Invoices fail' });
    await decideReport(
      t.deps,
      { reportId: r.id, action: 'declare', title: 'Invoices unavailable' },
      pm,
    );
    const [row] = await t.deps.db.select().from(reports).where(eq(reports.id, r.id));
    const incidentId = row!.incidentId!;
    t.clock.advance(60 * 60_000);
    await resolveIncident(t.deps, { incidentId, body: 'Fixed.' }, pm);
    if (opts.postmortem) {
      await savePostmortem(
        t.deps,
        { incidentId, publicBody: '## What happened\nA full disk.' },
        pm,
      );
      await publishPostmortem(t.deps, { incidentId }, pm);
    }
    if (opts.replyTo)
      await scheduleFollowUp(
        t.deps,
        {
          incidentId,
          scheduledFor: new Date(t.clock.now().getTime() + 60_000),
          body: 'All good since. If you still see a problem, reply to this email.',
          replyTo: opts.replyTo,
        },
        pm,
      );
    // Herald proposes the follow-up right after the all-clear; it goes out days later.
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    smtp.clear();
    t.clock.advance(4 * 24 * 3600_000);
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    return { pm: pm.label, reporter: reporter.label, incidentId };
  }

  it('replies go to the incident owner by default, the post-mortem is linked once published, and the reporter gets it too', async () => {
    const { pm, reporter, incidentId } = await declareResolveAndSend({ postmortem: true });
    const [customer] = smtp.to('customer@example.org');
    // A public list hears no priority here either.
    expect(customer!.parsed.subject).toBe('Follow-up: Invoices unavailable');
    expect(customer!.parsed.text).not.toMatch(/PRIORITY/);
    expect(customer!.header('reply-to')).toContain(pm);
    expect(customer!.parsed.text).toContain(
      `What we learned, in the post-mortem: https://status.example.com/incidents/${incidentId}#postmortem`,
    );
    expect(customer!.parsed.text).not.toContain('we will share what we learn');
    const [toReporter] = smtp.to(reporter);
    expect(toReporter!.parsed.subject).toBe('Follow-up: Invoices unavailable');
    expect(toReporter!.header('reply-to')).toContain(pm);
    expect(toReporter!.parsed.text).toContain('#postmortem');
  });

  it('a follow-up with its own reply address uses it, and without a post-mortem links none', async () => {
    smtp.clear();
    const { reporter } = await declareResolveAndSend({
      replyTo: 'support@acme.com',
      postmortem: false,
    });
    const customer = smtp.to('customer@example.org');
    expect(customer).toHaveLength(1);
    expect(customer[0]!.header('reply-to')).toContain('support@acme.com');
    expect(customer[0]!.parsed.text).not.toContain('post-mortem');
    expect(smtp.to(reporter)[0]!.header('reply-to')).toContain('support@acme.com');
  });
});
