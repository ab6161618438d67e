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
});
