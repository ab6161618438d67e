import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { useMailContext } from '../helpers/mail-context.ts';
import { testWorker } from '../helpers/outbox.ts';
import { declareOwnedIncident } from '../helpers/time-mail-setup.ts';

// The promise reminder when time does not go as planned: the mail goes out after the promise
// lapsed (the relay was down), or Herald itself was down when the reminder was due.
describe('the promise reminder, late', () => {
  const ctx = useMailContext();
  afterEach(() => ctx.smtp.clear());

  const reminders = (to: string) =>
    ctx.smtp.to(to).filter((m) => m.parsed.subject?.startsWith('REMINDER'));

  /** A P0 declared at 09:00 on `day` with the next update promised by 09:15. */
  const declarePromisedBy0915 = (day: string, owner: string, title: string) =>
    declareOwnedIncident(ctx, `${day}T09:00:00Z`, owner, {
      title,
      priority: 0,
      body: 'Investigating.',
      nextUpdateInMinutes: 15,
    });

  it('a reminder that reaches the owner after the promise lapsed does not say there is a minute left', async () => {
    const { t } = ctx;
    await declarePromisedBy0915('2026-11-24', 'owner@acme.com', 'Search down');
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
    const { t } = ctx;
    await declarePromisedBy0915('2026-11-25', 'late@acme.com', 'Login slow');
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
    const { t } = ctx;
    await declarePromisedBy0915('2026-11-26', 'away@acme.com', 'Exports slow');
    // The promise lapsed at 09:15; Herald is back at 10:16, an hour and a minute later.
    t.clock.set('2026-11-26T10:16:00Z');
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    expect(reminders('away@acme.com')).toEqual([]);
  });
});
