import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import { readBroadcast, readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { startHerald } from '../helpers/herald-process.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// Herald as `npm start` runs it, stopped with SIGTERM in the middle of a broadcast through a
// relay that takes 0.2 s a message.
describe('SIGTERM during a broadcast through a slow relay', { timeout: 120_000 }, () => {
  let t: TestContext;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ clock: systemClock });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('finishes and records what the relay has, hands back the rest, leaves nothing sending, and the restart doubles nothing', async () => {
    const emails = Array.from({ length: 120 }, (_, i) => `stop${i}@example.net`);
    for (const e of emails) await makeConfirmedSubscriber(t.deps, e);
    smtp.delay(200);
    const env = { SMTP_URL: smtp.url, SMTP_MAX_CONNECTIONS: '2' };
    const first = await startHerald(t.dbUrl, env);
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Stop' });
    const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
    const got = () => smtp.received.map((m) => m.to[0]!).filter((a) => a.startsWith('stop'));
    await expect.poll(() => got().length, { timeout: 60_000, interval: 20 }).toBeGreaterThan(10);
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.log).toMatch(/handed back/);
    const states = await t.deps.db
      .select({ state: deliveries.state })
      .from(deliveries)
      .where(eq(deliveries.broadcastId, b!.id));
    expect(states.filter((s) => s.state === 'sending')).toEqual([]);
    const sentBefore = states.filter((s) => s.state === 'sent').length;
    // Every message the relay accepted before the stop was recorded as sent.
    expect(sentBefore).toBe(got().length);
    expect(sentBefore).toBeLessThan(120);

    // The restart must double nothing and finish the rest; the relay need not be slow for it.
    smtp.delay(0);
    const second = await startHerald(t.dbUrl, env);
    await expect
      .poll(async () => (await readBroadcast(t.deps, b!.id)).broadcast.done, {
        timeout: 90_000,
        interval: 100,
      })
      .toBe(true);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
    const all = got();
    expect(all.filter((a, i) => all.indexOf(a) !== i)).toEqual([]);
    expect(new Set(all)).toEqual(new Set(emails));
  });

  it('a second SIGTERM exits at once, with a non-zero code', async () => {
    smtp.delay(0);
    smtp.hang(true);
    await makeConfirmedSubscriber(t.deps, 'hung@example.net');
    const h = await startHerald(t.dbUrl, { SMTP_URL: smtp.url });
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Hung relay' });
    const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
    // The message is in the relay's hands, which never answer: the first stop waits for it.
    await expect
      .poll(
        async () =>
          (
            await t.deps.db
              .select({ state: deliveries.state })
              .from(deliveries)
              .where(eq(deliveries.broadcastId, b!.id))
          ).some((d) => d.state === 'sending'),
        { timeout: 30_000, interval: 20 },
      )
      .toBe(true);
    h.signal('SIGTERM');
    await h.waitFor(/SIGTERM: stopping/);
    h.signal('SIGTERM');
    expect(await h.exited).toBe(1);
    expect(h.log).toMatch(/SIGTERM again: exiting at once/);
    smtp.hang(false);
  });
});
