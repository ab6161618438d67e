import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBroadcast, readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { mountSmallDisk } from '../helpers/full-disk.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { captureLog } from '../helpers/capture-log.ts';
import { liveLeases } from '../helpers/outbox-fault-setup.ts';

// The disk under the database fills up in the middle of a P0 broadcast and frees again: a real
// filesystem with no room left, the real driver answering SQLITE_FULL, a real SMTP server.

describe('a full disk in the middle of a broadcast', { timeout: 90_000 }, () => {
  let disk: ReturnType<typeof mountSmallDisk>;
  let t: TestContext;
  let smtp: SmtpSink;
  beforeAll(async () => {
    disk = mountSmallDisk();
    smtp = await startSmtpSink();
    t = await createTestContext({
      clock: systemClock,
      parentDir: disk.dir,
      env: { SMTP_URL: smtp.url, SMTP_MAX_CONNECTIONS: '2', DATABASE_WRITE_WAIT_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    disk?.unmount();
  });

  it('sends everyone exactly once, answers 503 saying the disk is full, and finishes once it frees', async () => {
    const { secret } = await makeToken(t, 'admin');
    const emails = Array.from({ length: 300 }, (_, i) => `full${i}@example.net`);
    for (const e of emails) await makeConfirmedSubscriber(t.deps, e);
    const log = captureLog();
    // A lease shorter than the full spell: rows this process holds lapse while it cannot write.
    const worker = createOutboxWorker(
      { ...t.deps, log },
      { leaseMs: 1500, heartbeatMs: 300, idleMs: 20 },
    );
    smtp.delay(15);
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Disk full' });
    const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
    const id = b!.id;
    worker.start();
    let during: {
      write: Awaited<ReturnType<ReturnType<typeof api>['post']>>;
      health: Response;
      healthBody: any;
      broadcast: Awaited<ReturnType<ReturnType<typeof api>['get']>>;
      sentAtFree: number;
    };
    try {
      await expect.poll(() => smtp.received.length, { timeout: 20_000 }).toBeGreaterThan(40);
      disk.fill(path.join(t.dir, 'herald.db'));
      const write = await api(t, secret).post('/api/admin/components', { name: 'During full' });
      // Until the health probe has run on the full disk (an earlier answer may be cached).
      let health!: Response;
      let healthBody: any;
      await expect
        .poll(
          async () => {
            health = await t.app.request('/healthz');
            healthBody = await health.json();
            return health.status;
          },
          { timeout: 30_000 },
        )
        .toBe(503);
      // Reads still work on a full disk: the admin can see where the broadcast stands.
      const broadcast = await api(t, secret).get(`/api/admin/broadcasts/${id}`);
      // Until every lease this process holds has run out in the database: its rows are then
      // free for the taking, while it still holds their outcomes in memory.
      await expect.poll(() => liveLeases(t, id), { timeout: 30_000 }).toBe(0);
      during = { write, health, healthBody, broadcast, sentAtFree: smtp.received.length };
      disk.free();
      await expect
        .poll(async () => (await readBroadcast(t.deps, id)).broadcast.done, { timeout: 30_000 })
        .toBe(true);
    } finally {
      await worker.stop();
      smtp.delay(0);
    }

    // While full: a clear 503 that says what happened and what to do, never a 500.
    expect(during.write.status).toBe(503);
    expect(during.write.res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(during.write.json.error.code).toBe('database_full');
    expect(during.write.json.error.message).toMatch(/disk is full.*Free disk space/);
    expect(during.health.status).toBe(503);
    expect(during.healthBody.database).toBe('refuses writes');
    expect(during.healthBody.error.code).toBe('database_refuses_writes');
    expect(during.healthBody.error.message).toMatch(/disk is full/);
    expect(during.broadcast.status).toBe(200);
    expect(during.broadcast.json.broadcast.done).toBe(false);
    // The broadcast was really caught in the middle.
    expect(during.sentAtFree).toBeLessThan(emails.length);

    // Nothing lost, nothing doubled: each recipient once, each Message-ID once.
    const got = smtp.received.map((m) => m.to[0]!).filter((a) => a.startsWith('full'));
    expect(got.filter((a, i) => got.indexOf(a) !== i)).toEqual([]);
    expect(new Set(got)).toEqual(new Set(emails));
    expect(new Set(smtp.received.map((m) => m.parsed.messageId)).size).toBe(emails.length);
    expect((await readBroadcast(t.deps, id)).broadcast).toMatchObject({
      sent: emails.length,
      queued: 0,
      failed: 0,
    });

    // The outbox said so once and backed off: a handful of lines, not hundreds per second.
    // Which of its writes meets the full disk first (an outcome, a lease's heartbeat, a claim)
    // depends on where the broadcast stood when it filled; each says why, and that it passed.
    const outbox = log.lines.filter((l) => l.startsWith('outbox:'));
    // Each condition that met it, and the line that says it passed.
    const full: Record<string, string> = {
      'outbox: could not record outcomes yet, retrying in memory: the database disk is full':
        'outbox: recording ok again',
      'outbox: could not extend leases: the database disk is full': 'outbox: heartbeat ok again',
      'outbox: cannot claim: the database disk is full; backing off': 'outbox: database ok again',
    };
    const said = outbox.filter((l) => l in full);
    expect(said.length, outbox.join('\n')).toBeGreaterThanOrEqual(1);
    for (const line of said) expect(outbox, outbox.join('\n')).toContain(full[line]);
    expect(outbox.length).toBeLessThanOrEqual(8);

    // Afterwards writes go through and health is good again.
    const after = await api(t, secret).post('/api/admin/components', { name: 'After full' });
    expect(after.status).toBe(201);
    // The probe is cached for 1.5 s: wait for its next answer rather than a guessed time.
    await expect
      .poll(async () => (await t.app.request('/healthz')).status, { timeout: 30_000 })
      .toBe(200);
  });
});
