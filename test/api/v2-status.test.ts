import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

describe('GET /api/v2/status.json', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it('says All Systems Operational on a fresh page, with CORS *', async () => {
    await makeComponent(t.deps, { name: 'API' });
    const res = await t.app.request('/api/v2/status.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = await res.json();
    expect(body.status).toEqual({ indicator: 'none', description: 'All Systems Operational' });
    expect(body.page).toMatchObject({
      name: 'Acme',
      url: 'https://status.example.com',
      time_zone: 'Etc/UTC',
    });
  });

  it('rises to the impact of an unresolved incident right after it is declared', async () => {
    const before = await t.app.request('/api/v2/status.json');
    const etag = before.headers.get('etag')!;
    expect(
      (await t.app.request('/api/v2/status.json', { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
    await makeIncident(t.deps, { priority: 0 });
    const after = await t.app.request('/api/v2/status.json', {
      headers: { 'if-none-match': etag },
    });
    expect(after.status).toBe(200);
    expect((await after.json()).status.indicator).toBe('critical');
  });
});
