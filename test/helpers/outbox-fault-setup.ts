import { and, count, eq, gt } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import { readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { makeIncident } from './factories.ts';
import { makeConfirmedSubscriber } from './subscribers.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createTestContext, type TestContext } from './deps.ts';
import { type SmtpSink, startSmtpSink } from './smtp.ts';

/**
 * A suite's own database and real in-process SMTP server, on the real clock: leases,
 * heartbeats and waits for the write lock run in real time against other processes, which a
 * manual clock cannot move. Started before the suite's tests and closed after them; read
 * `ctx.t` and `ctx.smtp` inside tests. `env` adds settings (pool size, write wait).
 */
export function useRealClockMailContext(env: Record<string, string> = {}) {
  const ctx = {} as { t: TestContext; smtp: SmtpSink };
  beforeAll(async () => {
    ctx.smtp = await startSmtpSink();
    ctx.t = await createTestContext({
      clock: systemClock,
      env: { SMTP_URL: ctx.smtp.url, ...env },
    });
  });
  afterAll(async () => {
    await ctx.t.close();
    await ctx.smtp.close();
  });
  return ctx;
}

/** Deliveries of the broadcast claimed under a lease that has not run out yet (by the rows). */
export async function liveLeases(t: TestContext, broadcastId: string): Promise<number> {
  const [row] = await t.deps.db
    .select({ n: count() })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.broadcastId, broadcastId),
        eq(deliveries.state, 'sending'),
        gt(deliveries.leaseUntil, new Date()),
      ),
    );
  return row!.n;
}

/** A P0 declared to `emails` (confirmed on the default list); its broadcast's id. */
export async function broadcastFor(t: TestContext, title: string, emails: string[]) {
  for (const e of emails) await makeConfirmedSubscriber(t.deps, e);
  const { incident } = await makeIncident(t.deps, { priority: 0, title });
  const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
  return b!.id;
}
