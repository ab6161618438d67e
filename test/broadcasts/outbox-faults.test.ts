import { describe, expect, it } from 'vitest';
import { readBroadcast } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { api, makeToken } from '../helpers/api.ts';
import { holdWriteLock, startOutboxProcess } from '../helpers/lock-holder.ts';
import { broadcastFor, useRealClockMailContext } from '../helpers/outbox-fault-setup.ts';
import type { SmtpSink } from '../helpers/smtp.ts';
import { captureLog } from '../helpers/capture-log.ts';

// The outbox under a slow relay and a database that refuses writes, with the real clock, a
// real SMTP server and a real second process holding the write lock.

const recipients = (smtp: SmtpSink, prefix: string) =>
  smtp.received.map((m) => m.to[0]!).filter((a) => a.startsWith(prefix));
const dupes = (list: string[]) => list.filter((a, i) => list.indexOf(a) !== i);

describe('outbox under a slow relay', { timeout: 60_000 }, () => {
  const ctx = useRealClockMailContext({ SMTP_MAX_CONNECTIONS: '2' });

  async function race(prefix: string, opts: { leaseMs: number; heartbeatMs: number }, delay = 120) {
    const { t, smtp } = ctx;
    const emails = Array.from({ length: 30 }, (_, i) => `${prefix}${i}@example.net`);
    smtp.delay(delay);
    const id = await broadcastFor(t, `Slow ${prefix}`, emails);
    // Two processes on one database share the broadcast; the other one would take over this
    // one's rows whose lease ran out.
    const b = await startOutboxProcess(t.dbUrl, smtp.url);
    const a = createOutboxWorker(t.deps, { ...opts, idleMs: 20 });
    a.start();
    let stopped: Promise<void> | undefined;
    const stopBoth = () => (stopped ??= Promise.all([a.stop(), b.stop()]).then(() => {}));
    try {
      await expect
        .poll(async () => (await readBroadcast(t.deps, id)).broadcast.done, {
          timeout: 40_000,
          interval: 50,
        })
        .toBe(true);
      const atDone = recipients(smtp, prefix);
      // A graceful stop finishes and records whatever either worker still had in flight: what
      // arrives by then is everything that would ever arrive.
      await stopBoth();
      return { emails, atDone, later: recipients(smtp, prefix) };
    } finally {
      await stopBoth();
      smtp.delay(0);
    }
  }

  it('sends every message exactly once, and nothing arrives after the admin says done', async () => {
    const { emails, atDone, later } = await race('slow', { leaseMs: 1500, heartbeatMs: 300 });
    expect(dupes(later)).toEqual([]);
    expect(new Set(later)).toEqual(new Set(emails));
    expect(later).toHaveLength(emails.length);
    expect(atDone).toEqual(later);
  });
});

describe('outbox leases without a heartbeat', { timeout: 90_000 }, () => {
  // Its own database: the only rows are the ones this worker claims, so whatever the other
  // process sends is a row this one holds.
  const ctx = useRealClockMailContext({ SMTP_MAX_CONNECTIONS: '2' });

  it('sends nothing more once its lease runs low: only the messages already with the relay go twice (and the test sees those)', async () => {
    const { t, smtp } = ctx;
    const emails = Array.from({ length: 30 }, (_, i) => `nobeat${i}@example.net`);
    const id = await broadcastFor(t, 'Slow nobeat', emails);
    // The relay holds every reply, so this worker stays mid-message until the other process has
    // taken its rows over and is sending too: no race between a process start and a send.
    smtp.hold();
    // One claim of every row (the 30 and any staff mail) and no heartbeat (only start() beats):
    // the lease runs out while this worker holds them, with two messages at the relay (its two
    // connections) and the rest claimed, waiting their turn.
    const a = createOutboxWorker(t.deps, { leaseMs: 10_000, heartbeatMs: 1e9 });
    const sending = a.runOnce(100);
    let b: Awaited<ReturnType<typeof startOutboxProcess>> | undefined;
    let withTheRelay: string[] = [];
    try {
      await expect
        .poll(() => smtp.heldRecipients().length, { timeout: 30_000, interval: 5 })
        .toBe(2);
      withTheRelay = [...smtp.heldRecipients()];
      expect(a.inFlight()).toBeGreaterThanOrEqual(30);
      // The other process takes over the rows once their lease has run out, and sends them; a
      // third message at the gate is one of them.
      b = await startOutboxProcess(t.dbUrl, smtp.url);
      await expect
        .poll(() => smtp.heldRecipients().length, { timeout: 60_000, interval: 5 })
        .toBeGreaterThanOrEqual(3);
      smtp.release();
      await sending;
      await expect
        .poll(async () => (await readBroadcast(t.deps, id)).broadcast.done, {
          timeout: 60_000,
          interval: 50,
        })
        .toBe(true);
    } finally {
      smtp.release();
      await b?.stop();
    }
    const got = recipients(smtp, 'nobeat');
    expect(new Set(got)).toEqual(new Set(emails));
    // What was with the relay when the lease ran out went twice: the test can see a double.
    // Nothing this worker still held unsent did: it handed no more to the relay.
    expect(dupes(got).length).toBeGreaterThan(0);
    expect(dupes(got).every((r) => withTheRelay.includes(r))).toBe(true);
  });
});

describe('outbox while another process holds the write lock', { timeout: 60_000 }, () => {
  const ctx = useRealClockMailContext({
    SMTP_MAX_CONNECTIONS: '2',
    DATABASE_WRITE_WAIT_SECONDS: '0.3',
  });

  it('keeps outcomes it cannot write, retries them, and sends nobody twice', async () => {
    const { t, smtp } = ctx;
    const emails = Array.from({ length: 60 }, (_, i) => `locked${i}@example.net`);
    // Slow enough (about 3 s in all) that the lock lands mid-broadcast.
    smtp.delay(100);
    const id = await broadcastFor(t, 'Locked', emails);
    const log = captureLog();
    const worker = createOutboxWorker({ ...t.deps, log }, { idleMs: 20 });
    worker.start();
    try {
      await expect
        .poll(() => recipients(smtp, 'locked').length, { timeout: 10_000 })
        .toBeGreaterThan(5);
      const lock = await holdWriteLock(t.dbUrl, 'until-released');
      try {
        expect((await readBroadcast(t.deps, id)).broadcast.done).toBe(false);
        // Held until the worker has met it: it says so in its log.
        await expect
          .poll(() => log.lines.some((l) => /could not record outcomes yet|cannot claim/.test(l)), {
            timeout: 30_000,
            interval: 10,
          })
          .toBe(true);
      } finally {
        lock.release();
        await lock.released;
      }
      // The slow relay was for the lock to land mid-broadcast; the rest may go at full speed.
      smtp.delay(0);
      await expect
        .poll(async () => (await readBroadcast(t.deps, id)).broadcast.done, { timeout: 30_000 })
        .toBe(true);
    } finally {
      await worker.stop();
      smtp.delay(0);
    }
    const got = recipients(smtp, 'locked');
    expect(dupes(got)).toEqual([]);
    expect(new Set(got)).toEqual(new Set(emails));
    // The fault really happened, was said once, and its end was said too.
    const failing = log.lines.filter((l) => /could not record outcomes yet|cannot claim/.test(l));
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.length).toBeLessThan(6);
    expect((await readBroadcast(t.deps, id)).broadcast).toMatchObject({ sent: 60, queued: 0 });
  });

  it('an admin write answers 503 with Retry-After and what to do, not 500; it works again after', async () => {
    const { t } = ctx;
    const { secret } = await makeToken(t, 'admin');
    const lock = await holdWriteLock(t.dbUrl, 'until-released');
    try {
      const busy = await api(t, secret).post('/api/admin/components', { name: 'Busy API' });
      expect(busy.status).toBe(503);
      expect(busy.res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(busy.json.error.code).toBe('database_busy');
      expect(busy.json.error.message).toMatch(/another Herald process.*again/);
    } finally {
      lock.release();
      await lock.released;
    }
    const ok = await api(t, secret).post('/api/admin/components', { name: 'Busy API' });
    expect(ok.status).toBe(201);
  });

  it('/healthz answers 503 and says the database refuses writes while the lock is held', async () => {
    const { t } = ctx;
    // The write probe is cached for 1.5 s: wait for each answer rather than for a guessed time.
    const health = async () => {
      const res = await t.app.request('/healthz');
      return { status: res.status, body: await res.json() };
    };
    await expect.poll(async () => (await health()).status, { timeout: 30_000 }).toBe(200);
    const lock = await holdWriteLock(t.dbUrl, 'until-released');
    try {
      await expect.poll(async () => (await health()).status, { timeout: 30_000 }).toBe(503);
      const down = await health();
      expect(down.body.database).toBe('refuses writes');
      expect(down.body.error.code).toBe('database_refuses_writes');
    } finally {
      lock.release();
      await lock.released;
    }
    await expect.poll(async () => (await health()).status, { timeout: 30_000 }).toBe(200);
  });
});
