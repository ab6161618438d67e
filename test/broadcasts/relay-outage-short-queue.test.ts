import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBroadcast, readBroadcasts } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { enqueueMessage } from '../../server/domain/outbox/enqueue-message.ts';
import { createOutboxWorker, type OutboxWorker } from '../../server/delivery/email-channel.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// While the relay refuses, the email lane probes it with one row at a time, every few seconds.
// A probe used to count as an attempt of the row it took: a short queue (a P0 to a few people,
// one confirmation email) met eight refusals within about 16 s of outage and was given up for
// good, so nobody got it when the relay came back. A probe now counts only when its row's own
// retry was due, and the probes take the queued rows in turn.
describe('a short queue waits out a relay outage', { timeout: 60_000 }, () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let worker: OutboxWorker | null;
  /** The relay's temporary refusals so far: the first send, then one a probe. */
  let refusals: number;

  beforeEach(async () => {
    smtp = await startSmtpSink();
    // The test clock stands still unless advanced: no row's own retry comes due by itself.
    t = await createTestContext({ env: { SMTP_URL: smtp.url } });
    refusals = 0;
    worker = null;
  });
  afterEach(async () => {
    await worker?.stop();
    await t.close();
    await smtp.close();
  });

  /** A worker that probes every few milliseconds and gives up after three attempts. */
  function startWorker() {
    worker = createOutboxWorker(t.deps, {
      probeBaseMs: 2,
      probeMaxMs: 10,
      idleMs: 5,
      maxAttempts: 3,
      random: () => 0.5,
    });
    worker.start();
  }

  function refuse(who: (to: string[]) => boolean = () => true) {
    smtp.reject((to) => {
      if (!who(to)) return null;
      refusals += 1;
      return { code: 451, message: '4.3.0 Temporary outage' };
    });
  }

  const rows = () =>
    t.deps.db.all<{ id: string; state: string; attempts: number; last_error: string | null }>(sql`
      SELECT id, state, attempts, last_error FROM deliveries
      UNION ALL SELECT id, state, attempts, last_error FROM outbox_messages ORDER BY id`);

  it('a P0 to two readers and a single email, refused for ten times the attempts allowed, all arrive once when the relay is back', async () => {
    await makeConfirmedSubscriber(t.deps, 'ana@example.org');
    await makeConfirmedSubscriber(t.deps, 'ben@example.org');
    refuse();
    await makeIncident(t.deps, { priority: 0, title: 'Website is down' });
    await t.deps.db.transaction((tx) =>
      enqueueMessage(
        tx,
        t.deps.config,
        {
          kind: 'test',
          to: 'oncall@example.org',
          payload: { subject: 'Relay check', text: 'Relay check', html: '<p>Relay check</p>' },
        },
        t.clock.now(),
      ),
    );
    startWorker();
    // Three rows, three attempts each allowed: thirty refusals are ten rounds of probes.
    await expect.poll(() => refusals, { timeout: 30_000, interval: 5 }).toBeGreaterThan(30);
    const during = await rows();
    expect(during.map((r) => r.state).filter((s) => s === 'failed')).toEqual([]);
    expect(Math.max(...during.map((r) => r.attempts))).toBeLessThanOrEqual(2);

    smtp.reject(null);
    await smtp.until((mail) => mail.length >= 3);
    await expect
      .poll(async () => (await rows()).map((r) => r.state), { timeout: 30_000 })
      .toEqual(['sent', 'sent', 'sent']);
    const to = smtp.received.flatMap((m) => m.to).sort();
    expect(to).toEqual(['ana@example.org', 'ben@example.org', 'oncall@example.org']);
  });

  it('a probe counts when its row is due by its own backoff, so a message is still given up after the attempts allowed', async () => {
    await makeConfirmedSubscriber(t.deps, 'ana@example.org');
    refuse();
    await makeIncident(t.deps, { priority: 0, title: 'Website is down' });
    startWorker();
    const row = async () => (await rows())[0]!;
    // What was counted, read with no probe in flight (a probe has its claim's attempt on it
    // until its refusal is written, and the next probe may be claimed the moment that write
    // lands): a graceful stop records the probe it waits for and hands back any claimed, then
    // the lane starts again, taking up the outage where it was.
    const between = async (attempts: number) => {
      await worker!.stop();
      expect(await row()).toMatchObject({ state: 'pending', attempts });
      startWorker();
    };
    // The first send is the first attempt; probes before its retry is due take nothing.
    await expect.poll(() => refusals, { timeout: 30_000, interval: 5 }).toBeGreaterThan(10);
    await between(1);
    // Its retry comes due: the next probe is that retry.
    t.clock.advance(3600_000);
    let seen = refusals;
    await expect.poll(() => refusals, { timeout: 30_000, interval: 5 }).toBeGreaterThan(seen + 10);
    await between(2);
    seen = refusals;
    await expect.poll(() => refusals, { timeout: 30_000, interval: 5 }).toBeGreaterThan(seen + 10);
    await between(2);
    t.clock.advance(3600_000);
    await expect.poll(async () => (await row()).state, { timeout: 30_000 }).toBe('failed');
    expect(await row()).toMatchObject({
      attempts: 3,
      last_error: 'gave up after 3 attempts: 451 4.3.0 Temporary outage',
    });
    expect(smtp.received).toEqual([]);
  });

  it('after a restart during the outage, the new process probes the relay first and sends the whole queue once it accepts, not each row after its own backoff', async () => {
    await makeConfirmedSubscriber(t.deps, 'ana@example.org');
    await makeConfirmedSubscriber(t.deps, 'ben@example.org');
    refuse();
    await makeIncident(t.deps, { priority: 0, title: 'Website is down' });
    startWorker();
    await expect.poll(() => refusals, { timeout: 30_000, interval: 5 }).toBeGreaterThan(4);
    await worker!.stop();
    // The relay is back while no process runs; the rows' own retries are still to come (the
    // test clock stands still), so only a probe can find out.
    smtp.reject(null);
    startWorker();
    await smtp.until((mail) => mail.length >= 2);
    await expect
      .poll(async () => (await rows()).map((r) => r.state), { timeout: 30_000 })
      .toEqual(['sent', 'sent']);
    expect(smtp.received.flatMap((m) => m.to).sort()).toEqual([
      'ana@example.org',
      'ben@example.org',
    ]);
  });

  it('one reader the relay keeps refusing does not hold back the others: the probes take the queued rows in turn', async () => {
    // Made first: with the same retry time, the refused reader's row is the first a probe takes.
    await makeConfirmedSubscriber(t.deps, 'full-mailbox@example.org');
    await makeConfirmedSubscriber(t.deps, 'ben@example.org');
    refuse();
    await makeIncident(t.deps, { priority: 0, title: 'Website is down' });
    startWorker();
    await expect.poll(() => refusals, { timeout: 30_000, interval: 5 }).toBeGreaterThan(2);
    // The relay is back for everyone but one mailbox.
    refuse((to) => to.includes('full-mailbox@example.org'));
    await smtp.until((mail) => mail.some((m) => m.to.includes('ben@example.org')));
    const stateOf = async (email: string) =>
      (
        await t.deps.db.all<{ state: string }>(sql`
          SELECT d.state FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
          WHERE s.email = ${email}`)
      )[0]?.state;
    expect(await stateOf('full-mailbox@example.org')).toMatch(/pending|sending/);
    await expect.poll(() => stateOf('ben@example.org'), { timeout: 30_000 }).toBe('sent');
    expect(smtp.received.filter((m) => m.to.includes('ben@example.org'))).toHaveLength(1);
  });
});

// A relay that refuses Herald's login (a rotated password, a locked account) refuses every
// message the same way until someone fixes it. A 535 used to count as the message's permanent
// refusal: the whole P0 was marked failed within seconds and stayed failed after the fix.
describe('a relay that refuses the login', { timeout: 60_000 }, () => {
  it('holds the queue and says to check the password; once the login works, everyone gets the P0 once', async () => {
    let loginWorks = false;
    let refusedLogins = 0;
    const delivered: string[] = [];
    const relay = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: false,
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (loginWorks && auth.username === 'herald' && auth.password === 'rotated')
          return callback(null, { user: auth.username });
        refusedLogins += 1;
        return callback(
          Object.assign(new Error('5.7.8 Authentication credentials invalid'), {
            responseCode: 535,
          }),
        );
      },
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          delivered.push(...session.envelope.rcptTo.map((r) => r.address));
          callback();
        });
      },
    });
    relay.on('error', () => {});
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const port = (relay.server.address() as AddressInfo).port;
    const t = await createTestContext({
      env: { SMTP_URL: `smtp://herald:rotated@127.0.0.1:${port}` },
    });
    const worker = createOutboxWorker(t.deps, { probeBaseMs: 2, probeMaxMs: 10, idleMs: 5 });
    try {
      await makeConfirmedSubscriber(t.deps, 'ana@example.org');
      await makeConfirmedSubscriber(t.deps, 'ben@example.org');
      const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Website is down' });
      const [b] = await readBroadcasts(t.deps, { incidentId: incident.id });
      worker.start();
      await expect.poll(() => refusedLogins, { timeout: 30_000, interval: 5 }).toBeGreaterThan(20);
      const states = async () =>
        (await t.deps.db.all<{ state: string }>(sql`SELECT state FROM deliveries`)).map(
          (r) => r.state,
        );
      expect(await states()).not.toContain('failed');
      const seen = await readBroadcast(t.deps, b!.id);
      expect(seen.sending.reasons[0]).toMatch(
        /535 5\.7\.8 Authentication credentials invalid.*The relay refuses Herald's login: check the user and password in SMTP_URL/,
      );

      loginWorks = true;
      await expect.poll(() => delivered.length, { timeout: 30_000 }).toBe(2);
      await expect.poll(states, { timeout: 30_000 }).toEqual(['sent', 'sent']);
      expect(delivered.sort()).toEqual(['ana@example.org', 'ben@example.org']);
    } finally {
      await worker.stop();
      await t.close();
      await new Promise<void>((r) => relay.close(() => r()));
    }
  });
});
