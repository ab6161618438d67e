import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DbHandle } from '../../db/client.ts';
import { readOncePerRequest, withRequestReads } from '../../db/request-reads.ts';
import { settings } from '../../db/schema/index.ts';
import { getSettings } from '../../server/domain/settings/get-settings.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';

// The settings row (and the other rows a page asks for from several places) is read once per
// request. These tests hold the limits of that: one request only, never across requests (another
// process's change is seen by the next one), dropped by the request's own write, never inside a
// transaction, and never changed by one reader under another.
describe('reads shared within one request', () => {
  let t: TestContext;
  /** A second connection to the same file: what another Herald process writes through. */
  let other: DbHandle;

  beforeAll(async () => {
    t = await createTestContext();
    other = await openDatabase(t.dbUrl);
  });
  afterAll(async () => {
    other.close();
    await t.close();
  });

  const renameElsewhere = (name: string) =>
    other.db.update(settings).set({ pageName: name }).where(eq(settings.id, 1));

  it('reads the settings once in a request, and the next request sees another process’s change', async () => {
    await withRequestReads(async () => {
      const first = await getSettings(t.deps.db);
      await renameElsewhere('Changed elsewhere');
      // Within the request the answer is shared: the same row as if it had been read earlier.
      expect(await getSettings(t.deps.db)).toBe(first);
    });
    const next = await withRequestReads(() => getSettings(t.deps.db));
    expect(next.pageName).toBe('Changed elsewhere');
    // Outside a request nothing is shared.
    await renameElsewhere('Changed again');
    expect((await getSettings(t.deps.db)).pageName).toBe('Changed again');
  });

  it('shows a request its own write: a write transaction drops what it had read', async () => {
    await withRequestReads(async () => {
      expect((await getSettings(t.deps.db)).pageName).not.toBe('Written here');
      await updateSettings(t.deps, { pageName: 'Written here' }, testActor);
      expect((await getSettings(t.deps.db)).pageName).toBe('Written here');
    });
  });

  it('never shares a read inside a transaction, which must see its own writes', async () => {
    await withRequestReads(async () => {
      const outside = await getSettings(t.deps.db);
      await t.deps.db.transaction(async (tx) => {
        await tx.update(settings).set({ pageName: 'Inside' }).where(eq(settings.id, 1));
        expect((await getSettings(tx)).pageName).toBe('Inside');
        expect(outside.pageName).not.toBe('Inside');
      });
    });
  });

  it('freezes a shared answer, so no reader can change what the others see', async () => {
    await withRequestReads(async () => {
      const s = await getSettings(t.deps.db);
      expect(() => {
        (s as { pageName: string }).pageName = 'mutated';
      }).toThrow(TypeError);
    });
  });

  it('does not keep a read that failed: the next caller in the request reads again', async () => {
    await withRequestReads(async () => {
      let calls = 0;
      const read = async () => {
        calls += 1;
        if (calls === 1) throw new Error('database busy');
        return { ok: true };
      };
      await expect(readOncePerRequest(t.deps.db, 'flaky', read)).rejects.toThrow('busy');
      await expect(readOncePerRequest(t.deps.db, 'flaky', read)).resolves.toEqual({ ok: true });
      await expect(readOncePerRequest(t.deps.db, 'flaky', read)).resolves.toEqual({ ok: true });
      expect(calls).toBe(2);
    });
  });

  it('shares nothing with work the request started that runs on after it (a timer, a stream)', async () => {
    // Work started inside the request keeps its async context after the request has returned:
    // the continuation below waits on a barrier released from outside, then reads.
    let release!: () => void;
    const barrier = new Promise<void>((resolve) => (release = resolve));
    let after!: Promise<string>;
    await withRequestReads(async () => {
      expect((await getSettings(t.deps.db)).pageName).not.toBe('After the request');
      after = barrier.then(async () => (await getSettings(t.deps.db)).pageName);
    });
    await renameElsewhere('After the request');
    release();
    expect(await after).toBe('After the request');
  });
});
