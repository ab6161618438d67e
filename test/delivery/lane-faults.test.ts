import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../../db/schema/index.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { captureLog } from '../helpers/capture-log.ts';

// The delivery lane's guarantees under faults, through the webhook channel that runs on it: a
// real receiver that holds each POST until the test lets it answer, a real second process
// holding the write lock, real temporary databases.

/** A receiver that keeps every POST waiting until `answer()` (or answers at once once `open`). */
async function startGate() {
  const posts: { title: string; answer: (status: number) => void }[] = [];
  const waiters: (() => void)[] = [];
  let open = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        incident?: { name: string };
      };
      const answer = (status: number) => res.writeHead(status).end();
      posts.push({ title: body.incident?.name ?? '', answer });
      if (open) answer(200);
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    posts,
    /** Resolves once `n` POSTs have arrived. */
    async arrived(n: number) {
      while (posts.length < n) await new Promise<void>((r) => waiters.push(r));
    },
    openUp() {
      open = true;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('the delivery lane under faults', { timeout: 60_000 }, () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });
  afterAll(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  async function setUp(opts: Parameters<typeof createTestContext>[0] = {}) {
    const t: TestContext = await createTestContext(opts);
    open.push(t);
    const gate = await startGate();
    open.push(gate);
    await createWebhook(t.deps, { url: gate.url, allowPrivate: true }, testActor);
    return { t, gate };
  }
  const rows = (t: TestContext) =>
    t.deps.db
      .select()
      .from(webhookDeliveries)
      .orderBy(webhookDeliveries.createdAt)
      .then((r) => r.filter((d) => d.event !== 'test'));

  it('a receiver slower than the lease gets its event once: the heartbeat keeps a second lane off what the first holds', async () => {
    const { t, gate } = await setUp();
    await makeIncident(t.deps, { priority: 0, title: 'Slow receiver' });
    const first = createWebhookWorker(t.deps, { leaseMs: 1000, heartbeatMs: 10 });
    first.start();
    await gate.arrived(1);
    const [claimed] = await rows(t);
    const leaseAtClaim = claimed!.leaseUntil!.getTime();
    t.clock.advance(900);
    // The heartbeat pushes the lease on from the clock's new time.
    await expect
      .poll(async () => (await rows(t))[0]!.leaseUntil!.getTime(), { timeout: 10_000 })
      .toBeGreaterThan(leaseAtClaim);
    // Past the lease taken at the claim: without the heartbeat the second lane would post again.
    t.clock.advance(900);
    expect(t.clock.now().getTime()).toBeGreaterThan(leaseAtClaim);
    expect(await createWebhookWorker(t.deps).runOnce()).toBe(0);
    gate.posts[0]!.answer(200);
    expect(await first.stop()).toEqual({ handedBack: 0, finished: 1, unrecorded: 0 });
    expect(gate.posts.map((p) => p.title)).toEqual(['Slow receiver']);
    expect((await rows(t)).map((d) => d.state)).toEqual(['sent']);
  });

  it('a graceful stop lets the post in flight answer and records it; nothing is posted again after it', async () => {
    const { t, gate } = await setUp();
    await makeIncident(t.deps, { priority: 0, title: 'Stopping' });
    const lane = createWebhookWorker(t.deps, { idleMs: 10 });
    lane.start();
    await gate.arrived(1);
    const stopping = lane.stop();
    gate.posts[0]!.answer(200);
    expect(await stopping).toEqual({ handedBack: 0, finished: 1, unrecorded: 0 });
    expect((await rows(t)).map((d) => d.state)).toEqual(['sent']);
    t.clock.advance(3600_000);
    expect(await createWebhookWorker(t.deps).runOnce()).toBe(0);
    expect(gate.posts).toHaveLength(1);
  });

  it('outcomes that cannot be written wait in memory, even past their lease: nothing is posted twice, and the queue goes on in order once they land', async () => {
    const { t, gate } = await setUp({
      clock: systemClock,
      env: { DATABASE_WRITE_WAIT_SECONDS: '0.2' },
    });
    await makeIncident(t.deps, { priority: 0, title: 'First' });
    await makeIncident(t.deps, { priority: 0, title: 'Second' });
    const log = captureLog();
    const lane = createWebhookWorker(
      { ...t.deps, log },
      { idleMs: 10, leaseMs: 300, heartbeatMs: 50 },
    );
    lane.start();
    await gate.arrived(1);
    const lock = await holdWriteLock(t.dbUrl, 'until-released');
    try {
      gate.posts[0]!.answer(200);
      await expect
        .poll(() => log.infos.filter((l) => l.startsWith('webhooks: could not record')), {
          timeout: 20_000,
        })
        .toHaveLength(1);
      // The lease taken at the claim runs out while the outcome waits (the heartbeat cannot be
      // written either): this process still holds the delivery and posts nothing meanwhile.
      const leaseUntil = (await rows(t))[0]!.leaseUntil!.getTime();
      await expect.poll(() => Date.now(), { timeout: 10_000 }).toBeGreaterThan(leaseUntil);
      expect((await rows(t)).map((d) => d.state)).toEqual(['sending', 'pending']);
      expect(gate.posts).toHaveLength(1);
      gate.openUp();
    } finally {
      lock.release();
      await lock.released;
    }
    await expect
      .poll(async () => (await rows(t)).map((d) => d.state), { timeout: 20_000 })
      .toEqual(['sent', 'sent']);
    await lane.stop();
    expect(gate.posts.map((p) => p.title)).toEqual(['First', 'Second']);
    expect(log.infos).toContain('webhooks: recording ok again');
    expect(log.errors).toEqual([]);
  });
});
