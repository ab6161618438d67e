import { eq } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import { readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createTestContext, type TestContext } from './deps.ts';
import { makeIncident } from './factories.ts';
import { startHerald } from './herald-process.ts';
import { startSmtpSink, type SmtpSink } from './smtp.ts';
import { makeConfirmedSubscriber } from './subscribers.ts';

/**
 * A test file's world for Herald as `npm start` runs it (test/helpers/herald-process.ts): a real
 * SMTP sink and a fresh database with the real clock, made in beforeAll and closed in afterAll.
 * The file's tests share both, in order: a later test's broadcast also reaches the earlier
 * tests' subscribers, and rows an earlier Herald handed back go out with it.
 */
export function heraldBesideRelay() {
  let t: TestContext | undefined;
  let smtp: SmtpSink | undefined;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ clock: systemClock });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });
  const world = {
    get t(): TestContext {
      return t!;
    },
    get smtp(): SmtpSink {
      return smtp!;
    },
    /** Herald on the file's database, sending through the sink; `env` adds settings. */
    start: (env: Record<string, string> = {}) =>
      startHerald(t!.dbUrl, { SMTP_URL: smtp!.url, ...env }),
    /**
     * Confirms `emails` on the public list and declares a P0 titled `title` (which queues its
     * broadcast in the same transaction); returns the broadcast's id.
     */
    async broadcast(title: string, emails: string[]): Promise<string> {
      for (const e of emails) await makeConfirmedSubscriber(t!.deps, e);
      const { incident } = await makeIncident(t!.deps, { priority: 0, title });
      const [b] = await readBroadcasts(t!.deps, { incidentId: incident.id });
      return b!.id;
    },
    /** The state of each of the broadcast's deliveries. */
    async states(broadcastId: string): Promise<string[]> {
      const rows = await t!.deps.db
        .select({ state: deliveries.state })
        .from(deliveries)
        .where(eq(deliveries.broadcastId, broadcastId));
      return rows.map((r) => r.state);
    },
    /** The recipients of what the relay accepted whose address starts with `prefix`. */
    receivedBy: (prefix: string) =>
      smtp!.received.map((m) => m.to[0]!).filter((a) => a.startsWith(prefix)),
    /** What the relay accepted whose subject names `title` (whoever it went to). */
    receivedAbout: (title: string) =>
      smtp!.received.filter((m) => m.parsed.subject?.toLowerCase().includes(title.toLowerCase())),
  };
  return world;
}
