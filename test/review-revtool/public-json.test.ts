import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';

// Review (revtool): the public Statuspage-compatible JSON (/api/v2), read by anyone.

describe('review: public v2 JSON', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => t.close());

  it('a P0 incident reaches the public JSON as its impact, never as the internal priority', async () => {
    // DESIGN practice 4: "customers and the public page hear impact, not internal priorities";
    // the public post-mortem, the public lists' subjects and the page all leave the priority out.
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    const declared = await admin.post('/api/admin/incidents', {
      title: 'Checkout down',
      priority: 0,
      body: 'Checkout is failing for everyone.',
      notify: false,
    });
    expect(declared.status).toBe(201);
    for (const path of [
      '/api/v2/incidents.json',
      '/api/v2/incidents/unresolved.json',
      '/api/v2/summary.json',
    ]) {
      const res = await t.app.request(path);
      const body = (await res.json()) as { incidents: Record<string, unknown>[] };
      const entry = body.incidents.find((i) => i.name === 'Checkout down');
      expect(entry, path).toBeDefined();
      expect(entry!.impact).toBe('critical');
      // Today every entry carries "priority": 0 (docs/api.md lists it as a Herald addition).
      expect(entry, path).not.toHaveProperty('priority');
    }
  });
});
