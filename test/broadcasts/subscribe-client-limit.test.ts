import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { startPublicSite } from '../helpers/site.ts';

describe('subscribe requests per client', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startPublicSite>>;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startPublicSite(t);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('answers 429 with Retry-After once one client asked 20 times in 10 minutes, whatever the addresses', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await site.post('/subscribe', { email: `many${i}@example.org` })).status).toBe(200);
    }
    const limited = await site.post('/subscribe', { email: 'one-more@example.org' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toContain('Too many requests');
    t.clock.advance(10 * 60_000 + 1);
    expect((await site.post('/subscribe', { email: 'one-more@example.org' })).status).toBe(200);
  });

  it('counts only the requests it takes: typos and refused addresses never use the limit up', async () => {
    t.clock.advance(10 * 60_000 + 1);
    for (const email of ['', 'not-an-address', 'a@b', 'x'.repeat(300) + '@example.org']) {
      const bad = await site.post('/subscribe', { email });
      expect(bad.status, email).toBe(422);
    }
    const gone = await site.post('/subscribe', { email: 'a@example.org', listIds: 'nolist' });
    expect(gone.status).toBe(422);
    const statuses = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await site.post('/subscribe', { email: `n${i}@example.org` })).status);
    expect(statuses).toEqual([...Array(20).fill(200), 429]);
  });
});
