import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { createComponent } from '../../server/domain/components/create-component.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { mountSmallDisk } from '../helpers/full-disk.ts';

// A disk that fills up behind a database in use: the WAL already has room for a one-row write,
// so a write probe alone still succeeds while anything bigger is refused.
describe('/healthz on a full disk', { timeout: 60_000 }, () => {
  let disk: ReturnType<typeof mountSmallDisk>;
  let t: TestContext;
  beforeAll(async () => {
    disk = mountSmallDisk(32);
    t = await createTestContext({ clock: systemClock, parentDir: disk.dir });
  });
  afterAll(async () => {
    await t?.close();
    disk?.unmount();
  });
  // A fresh app each time: its health answer is not one cached from before.
  const health = async () => {
    const res = await createApp(t.deps).request('/healthz');
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('answers 503 saying the disk is full, and 200 again once there is room', async () => {
    for (let i = 0; i < 300; i++)
      await createComponent(
        t.deps,
        { name: `Component ${i}`, description: 'x'.repeat(400) },
        testActor,
      );
    expect((await health()).status).toBe(200);
    disk.fill(path.join(t.dir, 'herald.db'), { keepWal: true });
    const full = await health();
    expect(full.status).toBe(503);
    expect(full.body.database).toBe('refuses writes');
    expect(full.body.error.code).toBe('database_refuses_writes');
    expect(full.body.error.message).toMatch(/disk is full/);
    disk.free();
    expect((await health()).status).toBe(200);
  });
});
