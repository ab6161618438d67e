import { describe, expect, it } from 'vitest';
import { readBroadcast } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';
import { holdWriteLock, startOutboxProcess } from '../helpers/lock-holder.ts';
import {
  broadcastFor,
  liveLeases,
  useRealClockMailContext,
} from '../helpers/outbox-fault-setup.ts';
import { captureLog } from '../helpers/capture-log.ts';

// Two Herald processes on one database, and a third process (a sqlite3 shell left in a
// transaction, a VACUUM) holds the write lock for longer than the lease of the rows one of them
// holds: its heartbeat cannot write, the other takes the rows over once the lock goes. Real
// processes, a real SMTP server, the real clock.

describe('a write lock held longer than the lease', { timeout: 120_000 }, () => {
  const ctx = useRealClockMailContext({
    SMTP_MAX_CONNECTIONS: '2',
    DATABASE_WRITE_WAIT_SECONDS: '0.3',
  });

  it('hands the relay nothing more once the lease may have run out, and the process that takes over sends the rest once', async () => {
    const { t, smtp } = ctx;
    const emails = Array.from({ length: 10 }, (_, i) => `outlast${i}@example.net`);
    const id = await broadcastFor(t, 'Lock outlasts lease', emails);
    const log = captureLog();
    // The relay holds every reply: this process has two messages with it (its two connections)
    // and the rest of its first claim (every row: a first claim takes ten) waiting their turn.
    smtp.hold();
    const a = createOutboxWorker({ ...t.deps, log }, { leaseMs: 4_000, heartbeatMs: 400 });
    a.start();
    let lock: Awaited<ReturnType<typeof holdWriteLock>> | undefined;
    let other: Awaited<ReturnType<typeof startOutboxProcess>> | undefined;
    let withTheRelay: string[] = [];
    try {
      await expect
        .poll(() => smtp.heldRecipients().length, { timeout: 30_000, interval: 5 })
        .toBe(2);
      withTheRelay = smtp.heldRecipients();
      // The other Herald process finds nothing due: this one holds every row under its lease.
      other = await startOutboxProcess(t.dbUrl, smtp.url);
      lock = await holdWriteLock(t.dbUrl, 'until-released');
      await expect
        .poll(() => log.has('could not extend leases'), { timeout: 30_000, interval: 20 })
        .toBe(true);
      // Every lease this process wrote has run out (reads go on under another's write lock).
      await expect.poll(() => liveLeases(t, id), { timeout: 30_000, interval: 50 }).toBe(0);
      // The relay answers: what it held is accepted, and this process sends nothing more.
      smtp.release();
      await expect
        .poll(() => log.has('holding back'), { timeout: 30_000, interval: 20 })
        .toBe(true);
      expect(smtp.received.filter((m) => m.to[0]!.startsWith('outlast'))).toHaveLength(2);
      // The lock goes: whichever process claims the rows sends them.
      lock.release();
      await lock.released;
      await expect
        .poll(async () => (await readBroadcast(t.deps, id)).broadcast.done, {
          timeout: 60_000,
          interval: 50,
        })
        .toBe(true);
    } finally {
      smtp.release();
      lock?.release();
      await a.stop();
      await other?.stop();
    }
    const got = smtp.received.map((m) => m.to[0]!).filter((r) => r.startsWith('outlast'));
    expect(new Set(got)).toEqual(new Set(emails));
    // Only what was with the relay when the lease ran out may go twice (its outcome could not be
    // written before the other process took the row over).
    const twice = got.filter((r, i) => got.indexOf(r) !== i);
    expect(twice.every((r) => withTheRelay.includes(r))).toBe(true);
    expect(log.lines.filter((l) => l.includes('holding back'))).toHaveLength(1);
  });
});
