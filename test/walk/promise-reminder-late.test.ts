import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeUserActor } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';

// The promise reminder when time does not go as planned: the mail goes out after the promise
// lapsed (the relay was down), or Herald itself was down when the reminder was due.
describe('the promise reminder, late', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  const reminders = (to: string) =>
    smtp.to(to).filter((m) => m.parsed.subject?.startsWith('REMINDER'));

  it('a reminder that reaches the owner after the promise lapsed does not say there is a minute left', async () => {
    t.clock.set('2026-11-24T09:00:00Z');
    const owner = await makeUserActor(t.deps, 'owner@acme.com');
    await declareIncident(
      t.deps,
      { title: 'Search down', priority: 0, body: 'Investigating.', nextUpdateInMinutes: 15 },
      owner,
    );
    await testWorker(t).drain();
    smtp.clear();
    // 09:10: the reminder is queued; the relay is unreachable until 09:35.
    t.clock.set('2026-11-24T09:10:00Z');
    await createScheduler(t.deps).runOnce();
    t.clock.set('2026-11-24T09:35:00Z');
    await testWorker(t).drain();
    const [mail] = reminders('owner@acme.com');
    expect(mail).toBeDefined();
    // The promise lapsed 20 minutes ago; "that is in 1 minute" sends the owner the wrong way.
    expect(mail!.parsed.text).not.toContain('that is in 1 minute');
    expect(mail!.parsed.text).toContain('by 09:15 UTC: that promise lapsed 20 minutes ago.');
    expect(mail!.parsed.subject).toContain('REMINDER: NEXT UPDATE OVERDUE SINCE 09:15 UTC');
  });

  it('Herald restarted just after a promise lapsed still tells the owner once', async () => {
    t.clock.set('2026-11-25T09:00:00Z');
    const owner = await makeUserActor(t.deps, 'late@acme.com');
    await declareIncident(
      t.deps,
      { title: 'Login slow', priority: 0, body: 'Investigating.', nextUpdateInMinutes: 15 },
      owner,
    );
    await testWorker(t).drain();
    smtp.clear();
    // Herald is down (a deploy) from 09:09 to 09:16; the reminder fell due at 09:10.
    t.clock.set('2026-11-25T09:16:00Z');
    const scheduler = createScheduler(t.deps);
    await scheduler.runOnce();
    await scheduler.runOnce();
    await testWorker(t).drain();
    const sent = reminders('late@acme.com');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.parsed.text).toContain('by 09:15 UTC: that promise lapsed 1 minute ago.');
    // Never twice: a later pass finds the promise reminded.
    t.clock.set('2026-11-25T09:20:00Z');
    await scheduler.runOnce();
    await testWorker(t).drain();
    expect(reminders('late@acme.com')).toHaveLength(1);
  });

  it('after Herald was down for more than an hour past the promise, no stale reminder goes out', async () => {
    t.clock.set('2026-11-26T09:00:00Z');
    const owner = await makeUserActor(t.deps, 'away@acme.com');
    await declareIncident(
      t.deps,
      { title: 'Exports slow', priority: 0, body: 'Investigating.', nextUpdateInMinutes: 15 },
      owner,
    );
    await testWorker(t).drain();
    smtp.clear();
    // The promise lapsed at 09:15; Herald is back at 10:16, an hour and a minute later.
    t.clock.set('2026-11-26T10:16:00Z');
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    expect(reminders('away@acme.com')).toEqual([]);
  });
});
