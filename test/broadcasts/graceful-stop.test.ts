import { describe, expect, it } from 'vitest';
import { readBroadcast } from '../../server/domain/broadcasts/broadcast-admin.ts';
import { heraldBesideRelay } from '../helpers/herald-beside-relay.ts';

// Herald as `npm start` runs it, stopped with SIGTERM in the middle of a broadcast through a
// relay that takes 0.2 s a message. A second SIGTERM (exit at once) is tested with the delivery
// process, in test/delivery/delivery-process.test.ts.
describe('SIGTERM during a broadcast through a slow relay', { timeout: 120_000 }, () => {
  const w = heraldBesideRelay();

  it('finishes and records what the relay has, hands back the rest, leaves nothing sending, and the restart doubles nothing', async () => {
    const { t, smtp } = w;
    const emails = Array.from({ length: 120 }, (_, i) => `stop${i}@example.net`);
    smtp.delay(200);
    const env = { SMTP_MAX_CONNECTIONS: '2' };
    const first = await w.start(env);
    const id = await w.broadcast('Stop', emails);
    const got = () => w.receivedBy('stop');
    await expect.poll(() => got().length, { timeout: 60_000, interval: 20 }).toBeGreaterThan(10);
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    // The pipes may still hold the last lines when the exit is reported.
    await first.outputClosed;
    expect(first.log).toMatch(/handed back/);
    const states = await w.states(id);
    expect(states.filter((s) => s === 'sending')).toEqual([]);
    const sentBefore = states.filter((s) => s === 'sent').length;
    // Every message the relay accepted before the stop was recorded as sent.
    expect(sentBefore).toBe(got().length);
    expect(sentBefore).toBeLessThan(120);

    // The restart must double nothing and finish the rest; the relay need not be slow for it.
    smtp.delay(0);
    const second = await w.start(env);
    await expect
      .poll(async () => (await readBroadcast(t.deps, id)).broadcast.done, {
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

  it("a relay that stops answering: with a socketTimeout below the service manager's limit, the stop records the messages in flight as not sent, and the restart sends each once", async () => {
    const { smtp } = w;
    const emails = Array.from({ length: 6 }, (_, i) => `silent${i}@example.net`);
    // The relay reads each message and never answers (deploy/herald.service's advice).
    smtp.hang(true);
    const env = { SMTP_URL: `${smtp.url}?socketTimeout=1500`, SMTP_MAX_CONNECTIONS: '2' };
    const first = await w.start(env);
    const before = smtp.rcpts().length;
    // The P0 also reaches the first test's 120 readers: 126 in all.
    const id = await w.broadcast('Silent', emails);
    await expect
      .poll(() => smtp.rcpts().length - before, { timeout: 60_000, interval: 20 })
      .toBeGreaterThanOrEqual(2);
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    const states = await w.states(id);
    expect(states).toHaveLength(126);
    expect(states.filter((s) => s !== 'pending')).toEqual([]);
    expect(w.receivedAbout('Silent')).toEqual([]);

    smtp.hang(false);
    const second = await w.start(env);
    await smtp.until(() => w.receivedAbout('Silent').length >= 126);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
    const all = w.receivedAbout('Silent').map((m) => m.to[0]!);
    expect(all.filter((a, i) => all.indexOf(a) !== i)).toEqual([]);
    expect(all).toEqual(expect.arrayContaining(emails));
    expect((await w.states(id)).every((s) => s === 'sent')).toBe(true);
  });
});
