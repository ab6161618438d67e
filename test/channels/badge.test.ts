import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setComponentStatus } from '../../server/domain/components/set-component-status.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';

describe('/badge.svg and /api/embed.json', () => {
  let t: TestContext;
  let id = '';
  beforeAll(async () => {
    t = await createTestContext();
    id = (await makeComponent(t.deps, { name: 'API <script>&' })).id;
  });
  afterAll(() => t.close());

  it('draws the overall status, cacheable, with CORS *', async () => {
    const res = await t.app.request('/badge.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=0, s-maxage=\d+/);
    const etag = res.headers.get('etag')!;
    expect(await res.text()).toContain('<title>Acme: all systems operational</title>');
    expect((await t.app.request('/badge.svg', { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
  });

  it('draws one component with its name escaped, and changes with its status', async () => {
    const svg = await (await t.app.request(`/badge.svg?component=${id}`)).text();
    expect(svg).toContain('API &lt;script&gt;&amp;: operational');
    expect(svg).not.toContain('<script>');
    await setComponentStatus(t.deps, { componentId: id, status: 'major_outage' }, testActor);
    const after = await (await t.app.request(`/badge.svg?component=${id}`)).text();
    expect(after).toContain(': major outage</title>');
    expect(after).toContain('#a40e26');
    const unknown = await t.app.request('/badge.svg?component=nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('unknown component');
    expect((await t.app.request('/badge.svg?color=red')).status).toBe(400);
  });

  it('/api/embed.json lists only what is active, with CORS *', async () => {
    const res = await t.app.request('/api/embed.json');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await res.json()) as { status: { indicator: string }; active: unknown[] };
    expect(body.status.indicator).toBe('critical');
    expect(body.active).toEqual([]);
  });
});
