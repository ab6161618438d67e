import { describe, expect, it } from 'vitest';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { makeIncident } from '../helpers/factories.ts';
import { useMailContext } from '../helpers/mail-context.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('writers in one process', () => {
  const ctx = useMailContext();

  it('publishing while the worker records its batches neither fails nor loses a delivery', async () => {
    for (let i = 0; i < 60; i++) await makeConfirmedSubscriber(ctx.t.deps, `busy${i}@example.net`);
    const running = createOutboxWorker(ctx.t.deps, { batchSize: 5, lanes: 4, idleMs: 1 });
    running.start();
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          makeIncident(ctx.t.deps, { priority: 0, title: `Busy ${i}` }),
        ),
      );
      expect(
        results
          .filter((r) => r.status === 'rejected')
          .map((r) => String((r as PromiseRejectedResult).reason)),
      ).toEqual([]);
      await expect
        .poll(() => ctx.smtp.received.length, { timeout: 60_000, interval: 50 })
        .toBe(60 * 8);
    } finally {
      await running.stop();
    }
    // Each recipient got each incident exactly once: the exact set of (address, subject)
    // pairs, so one lost and one doubled message cannot add up to the right count.
    const expected = Array.from({ length: 60 }, (_, s) =>
      Array.from({ length: 8 }, (_, i) => `busy${s}@example.net Major outage: Busy ${i}`),
    )
      .flat()
      .sort();
    const got = ctx.smtp.received.map((m) => `${m.to.join(',')} ${m.parsed.subject}`).sort();
    expect(got).toEqual(expected);
    expect(new Set(ctx.smtp.received.map((m) => m.parsed.messageId)).size).toBe(60 * 8);
  });
});
