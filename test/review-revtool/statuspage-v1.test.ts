import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';

// Review (revtool): Statuspage's management API (/v1) as a script written for
// api.statuspage.io calls it.

describe('review: Statuspage management API', () => {
  let t: TestContext;
  let key: string;
  let pageId: string;
  beforeAll(async () => {
    t = await createTestContext();
    key = (await makeToken(t, 'admin')).secret;
    const status = await t.app.request('/api/v2/status.json');
    pageId = ((await status.json()) as { page: { id: string } }).page.id;
  });
  afterAll(async () => t.close());

  const call = async (method: string, path: string, body: unknown) => {
    const res = await t.app.request(`/v1/pages/${pageId}${path}`, {
      method,
      headers: { authorization: `OAuth ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { error?: string } };
  };

  it('PATCH a component with nothing to change answers the component (or a 4xx saying what to send), never a 500', async () => {
    const c = await makeComponent(t.deps, { name: 'API' });
    for (const method of ['PATCH', 'PUT']) {
      const res = await call(method, `/components/${c.id}`, { component: {} });
      // Today: 500 "Something went wrong on our side": the route reads
      // (input.update ?? input.status)!.componentId with neither present.
      expect(res.status).not.toBe(500);
      if (res.status === 200) expect(res.json).toMatchObject({ id: c.id, name: 'API' });
      else expect(res.json.error).toMatch(/component/);
    }
  });
});
