import { inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliveries } from '../../db/schema/index.ts';
import { liveProcesses } from '../helpers/fixture-suite.ts';
import { heraldBesideRelay } from '../helpers/herald-beside-relay.ts';
import { makeIncident } from '../helpers/factories.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

/** Whether `pid` still runs (a zombie waiting for its new parent to reap it does not). */
const running = (pid: number) => liveProcesses([pid], []).length > 0;

/**
 * Waits until `pid` has ended. Its output pipe closes when the exiting process closes its
 * files, a moment before the kernel marks it ended, so that close is not yet the end (a fresh
 * clone's run once saw the process still listed right after it).
 */
const ended = (pid: number) =>
  expect.poll(() => running(pid), { timeout: 10_000, interval: 10 }).toBe(false);

// Herald as `npm start` runs it: the server process and the delivery process it starts.
describe('the delivery process beside the server', { timeout: 120_000 }, () => {
  const w = heraldBesideRelay();

  /** How many deliveries still wait to be sent or are being sent. */
  const unfinished = async () =>
    (
      await w.t.deps.db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(inArray(deliveries.state, ['pending', 'sending']))
    ).length;

  /** A P0 to `emails` through the slow relay; resolves once the relay has some of them. */
  async function broadcastUnderway(prefix: string, title: string) {
    const emails = Array.from({ length: 60 }, (_, i) => `${prefix}${i}@example.net`);
    const id = await w.broadcast(title, emails);
    // This broadcast's copies (it also goes to the earlier tests' subscribers).
    const got = () => w.receivedAbout(title);
    await expect.poll(() => got().length, { timeout: 60_000, interval: 20 }).toBeGreaterThan(5);
    return { got, states: () => w.states(id) };
  }

  it('when the server is killed with -9, the delivery process records what the relay has, hands back the rest and exits instead of sending on', async () => {
    w.smtp.delay(200);
    const h = await w.start({ SMTP_MAX_CONNECTIONS: '2' });
    const pid = h.deliveryPid();
    const { got, states } = await broadcastUnderway('orphan', 'Server killed');
    h.crash();
    await h.outputClosed;
    await ended(pid);
    expect(h.log).toMatch(
      /the server process is gone \(its IPC channel closed\); stopping gracefully/,
    );
    expect(h.log).toMatch(/Delivery process stopped: \d+ emails .* handed back/);
    const s = await states();
    expect(s.filter((x) => x === 'sending')).toEqual([]);
    // Every message the relay accepted was recorded; the rest waits, pending, for a restart.
    expect(s.filter((x) => x === 'sent').length).toBe(got().length);
    expect(s.filter((x) => x === 'pending').length).toBeGreaterThan(0);
    w.smtp.delay(0);
  });

  it('a SIGTERM to both processes (a service manager or Ctrl-C signals the group) stops both gracefully, doubling nothing', async () => {
    const h = await w.start({ SMTP_MAX_CONNECTIONS: '2' });
    const pid = h.deliveryPid();
    // What the killed server handed back goes out first, at the relay's full speed: slowed, it
    // would hold this test's broadcast back for seconds.
    await expect.poll(unfinished, { timeout: 60_000, interval: 20 }).toBe(0);
    w.smtp.delay(200);
    const { got, states } = await broadcastUnderway('group', 'Group stop');
    process.kill(pid, 'SIGTERM');
    h.signal('SIGTERM');
    expect(await h.exited).toBe(0);
    await h.outputClosed;
    expect(h.log).toMatch(
      /Stopped: \d+ emails and \d+ webhook posts in flight finished and recorded/,
    );
    // Which reaches the delivery process first, its own signal or the server's stop message, is
    // the operating system's choice; either way it heard the signal and stopped gracefully.
    expect(h.log).toMatch(/Delivery process: SIGTERM; (already )?stopping gracefully/);
    expect(h.log).not.toMatch(/exiting at once/);
    const s = await states();
    expect(s.filter((x) => x === 'sending')).toEqual([]);
    expect(s.filter((x) => x === 'sent').length).toBe(got().length);
    w.smtp.delay(0);
  });

  it('a delivery process that dies is started again, and /healthz says nothing is sent until it runs', async () => {
    const { t, smtp } = w;
    await makeConfirmedSubscriber(t.deps, 'after-restart@example.net');
    const h = await w.start();
    const first = h.deliveryPid();
    expect((await fetch(`${h.base}/healthz`)).status).toBe(200);
    // The new process cannot finish starting while another process holds the write lock, so
    // the gap /healthz reports lasts until the test lets go.
    const lock = await holdWriteLock(t.dbUrl, 'until-released');
    process.kill(first, 'SIGKILL');
    await h.waitFor(
      /the delivery process \(pid \d+\) stopped \(killed by SIGKILL\): nothing is sent until it runs again; starting it again in 1 s/,
    );
    const down = await fetch(`${h.base}/healthz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as {
      delivery: string;
      problems: { code: string; message: string }[];
    };
    expect(body.delivery).toBe('down');
    expect(body.problems.find((p) => p.code === 'delivery_down')?.message).toMatch(
      /Nothing is being sent: the delivery process stopped \(killed by SIGKILL\); Herald starts it again at/,
    );
    lock.release();
    await lock.released;
    await expect.poll(() => h.deliveryPid(), { timeout: 60_000, interval: 20 }).not.toBe(first);
    await expect
      .poll(async () => (await fetch(`${h.base}/healthz`)).status, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(200);
    await makeIncident(t.deps, { priority: 0, title: 'After the restart' });
    await expect
      .poll(() => smtp.received.some((m) => m.to[0] === 'after-restart@example.net'), {
        timeout: 60_000,
        interval: 20,
      })
      .toBe(true);
    h.signal('SIGTERM');
    expect(await h.exited).toBe(0);
  });

  it('a second SIGTERM to the server exits at once, with a non-zero code, and takes the delivery process with it', async () => {
    const { t, smtp } = w;
    smtp.hang(true);
    await makeConfirmedSubscriber(t.deps, 'hung2@example.net');
    const h = await w.start();
    const pid = h.deliveryPid();
    await makeIncident(t.deps, { priority: 0, title: 'Hung again' });
    // A message (this broadcast's or one an earlier test handed back) is in the hung relay's
    // hands, which never answer: the first stop waits for it.
    await expect
      .poll(
        async () =>
          (await t.deps.db.select({ state: deliveries.state }).from(deliveries)).some(
            (d) => d.state === 'sending',
          ),
        { timeout: 30_000, interval: 20 },
      )
      .toBe(true);
    h.signal('SIGTERM');
    await h.waitFor(/SIGTERM: stopping/);
    h.signal('SIGTERM');
    expect(await h.exited).toBe(1);
    // The pipes may still hold the last lines when the exit is reported.
    await h.outputClosed;
    expect(h.log).toMatch(/SIGTERM again: exiting at once/);
    await ended(pid);
    smtp.hang(false);
  });
});
