import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveries, subscribers } from '../../db/schema/index.ts';
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { makeIncident } from '../helpers/factories.ts';
import { useMailContext } from '../helpers/mail-context.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('leaving and resuming', () => {
  const ctx = useMailContext();
  afterEach(() => ctx.smtp.clear());

  it('skips deliveries already queued when the subscriber leaves before they are sent', async () => {
    const { t, smtp } = ctx;
    const { token } = await makeConfirmedSubscriber(t.deps, 'queued@example.org');
    await makeIncident(t.deps, { priority: 0, title: 'Queued' });
    await t.app.request(`/unsubscribe/${token}`, {
      method: 'POST',
      body: 'List-Unsubscribe=One-Click',
    });
    await testWorker(t).drain();
    expect(smtp.to('queued@example.org')).toHaveLength(0);
    const rows = await t.deps.db
      .select({ state: deliveries.state })
      .from(deliveries)
      .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
      .where(eq(subscribers.email, 'queued@example.org'));
    expect(rows).toEqual([{ state: 'skipped' }]);
  });

  it('a worker that dies mid-broadcast and a restarted one deliver every message exactly once', async () => {
    const { t, smtp } = ctx;
    const emails = Array.from({ length: 230 }, (_, i) => `crowd${i}@example.net`);
    for (const e of emails) await makeConfirmedSubscriber(t.deps, e);
    await makeIncident(t.deps, { priority: 0, title: 'Crowd' });

    // First process: two batches go out, then its relay stops answering mid-batch and the
    // process is as good as dead: its third batch stays claimed, never recorded.
    const first = testWorker(t, { batchSize: 50 });
    await first.worker.runOnce();
    await first.worker.runOnce();
    expect(smtp.received.filter((m) => m.to[0]!.startsWith('crowd'))).toHaveLength(100);
    const dead = await startSmtpSink();
    dead.hang(true);
    const hungDeps = await createDeps(
      loadConfig({
        DATABASE_URL: t.dbUrl,
        PUBLIC_URL: 'https://status.example.com',
        SMTP_URL: dead.url,
        LOG_LEVEL: 'silent',
      }),
      { clock: t.clock },
    );
    const hung = createOutboxWorker(hungDeps, { batchSize: 50 });
    void hung.runOnce();
    await expect
      .poll(
        async () =>
          (
            await t.deps.db
              .select({ n: sql<number>`count(*)` })
              .from(deliveries)
              .where(eq(deliveries.state, 'sending'))
          )[0]!.n,
      )
      .toBe(50);

    // The restarted process sends what was never claimed at once...
    const restarted = testWorker(t, { batchSize: 50 });
    await restarted.drain();
    expect(smtp.received.filter((m) => m.to[0]!.startsWith('crowd'))).toHaveLength(180);
    // ...and the dead process's batch once its lease (15 s, never extended) runs out.
    t.clock.advance(15_000);
    await restarted.drain();
    await dead.close();
    hungDeps.mailer.close();
    await hungDeps.close();
    const got = smtp.received.filter((m) => m.to[0]!.startsWith('crowd')).map((m) => m.to[0]!);
    expect(got).toHaveLength(230);
    expect(new Set(got).size).toBe(230);
    expect(new Set(got)).toEqual(new Set(emails));
  });

  it('a worker stopped gracefully finishes its batches; the next start sends the rest exactly once', async () => {
    const { t, smtp } = ctx;
    const emails = Array.from({ length: 300 }, (_, i) => `stop${i}@example.net`);
    for (const e of emails) await makeConfirmedSubscriber(t.deps, e);
    await makeIncident(t.deps, { priority: 0, title: 'Stop and go' });
    const mine = () =>
      smtp.received.filter((m) => m.to[0]!.startsWith('stop')).map((m) => m.to[0]!);
    const running = createOutboxWorker(t.deps, { batchSize: 20, lanes: 2, idleMs: 5 });
    running.start();
    await expect.poll(() => mine().length, { timeout: 20_000 }).toBeGreaterThan(0);
    await running.stop();
    const [{ n: inFlight }] = (await t.deps.db
      .select({ n: sql<number>`count(*)` })
      .from(deliveries)
      .where(eq(deliveries.state, 'sending'))) as [{ n: number }];
    expect(inFlight).toBe(0);
    await testWorker(t).drain();
    expect(mine()).toHaveLength(300);
    expect(new Set(mine())).toEqual(new Set(emails));
  });
});
