import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import Database from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcasts, deliveries, incidents } from '../../db/schema/index.ts';
import { DELIVERIES_PER_STATEMENT } from '../../server/domain/broadcasts/queue-deliveries.ts';
import { heraldChild, heraldNode, registerChild } from '../helpers/children.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { seedConfirmedSubscribers } from '../helpers/subscribers.ts';

// A large publish writes the incident, its broadcast with the exact total, the first slice of
// deliveries and the fill cursor (the delivery process writes the rest) in the one transaction
// that declares the incident: a process killed after the first slice is written, before the
// commit, must leave no incident, no broadcast and no part of a recipient list behind.
describe(
  'a process killed with kill -9 in the middle of a large publish',
  { timeout: 60_000 },
  () => {
    let t: TestContext;
    const confirmed = 3 * DELIVERIES_PER_STATEMENT + 17;
    beforeAll(async () => {
      t = await createTestContext();
      await seedConfirmedSubscribers(t.deps, confirmed);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('leaves nothing of it, and the same P0 declared again reaches everyone once', async () => {
      const script = fileURLToPath(new URL('../helpers/publish-process.ts', import.meta.url));
      const child = registerChild(
        spawn(heraldNode, heraldChild(script, t.dbUrl, 'Checkout is down'), {
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('mid\n')) resolve();
        });
        child.on('exit', (code) =>
          reject(new Error(`publish process exited ${code}:\n${out}${err}`)),
        );
      });
      // Caught inside the publish's transaction: it holds the write lock.
      const probe = new Database(t.dbUrl.replace(/^file:/, ''));
      probe.exec('PRAGMA busy_timeout = 0');
      expect(() => probe.exec('BEGIN IMMEDIATE')).toThrow(/busy|locked/i);
      probe.close();
      child.kill('SIGKILL');
      await exited;
      expect(out).not.toContain('published');

      expect(
        await t.deps.db.select().from(incidents).where(eq(incidents.title, 'Checkout is down')),
      ).toEqual([]);
      expect(await t.deps.db.select().from(broadcasts)).toEqual([]);
      expect(await t.deps.db.$count(deliveries)).toBe(0);

      // The lock went with the process: this one declares it, counts every reader, writes the
      // first slice and leaves the rest to the email lane, which writes each reader once.
      const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Checkout is down' });
      const [b] = await t.deps.db
        .select()
        .from(broadcasts)
        .where(eq(broadcasts.incidentId, incident.id));
      expect(b!.total).toBe(confirmed);
      expect(b!.fillAfter).not.toBeNull();
      expect(await t.deps.db.$count(deliveries, eq(deliveries.broadcastId, b!.id))).toBe(
        DELIVERIES_PER_STATEMENT,
      );
      const { worker } = testWorker(t);
      while (await filling(t, b!.id)) await worker.runOnce(1);
      expect(await t.deps.db.$count(deliveries, eq(deliveries.broadcastId, b!.id))).toBe(confirmed);
    });
  },
);

/** Whether the broadcast's deliveries are still being written. */
async function filling(t: TestContext, broadcastId: string): Promise<boolean> {
  const [b] = await t.deps.db
    .select({ fillAfter: broadcasts.fillAfter })
    .from(broadcasts)
    .where(eq(broadcasts.id, broadcastId));
  return b!.fillAfter !== null;
}
