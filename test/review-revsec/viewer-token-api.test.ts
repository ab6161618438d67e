import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../server/domain/auth/api-tokens.ts';
import { api } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';

// A viewer "reads the internal view (notes, support scripts, runbooks, reports, drills)"
// (docs/using.md), and the record's admin API has "the same roles as the pages" (docs/api.md).
describe('a viewer API token reads what a viewer reads', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(async () => {
    await t?.close();
  });

  async function viewerToken() {
    const { secret } = await createApiToken(
      t.deps,
      { name: 'wallboard', role: 'viewer' },
      testActor,
    );
    return api(t, secret);
  }

  it('GET /api/admin/me tells a viewer token who it acts as instead of refusing it', async () => {
    const call = await viewerToken();
    const me = await call.get('/api/admin/me');
    // Today: 403 "This needs the responder role" for the one call meant to say who you are.
    expect(me.status).toBe(200);
    expect(me.json.actor.role).toBe('viewer');
  });

  it('GET /api/admin/incidents/{id}/record answers a viewer token, as /admin/incidents/{id}/record does a viewer', async () => {
    const { incident } = (await makeIncident(t.deps)) as { incident: { id: string } };
    const call = await viewerToken();
    const record = await call.get(`/api/admin/incidents/${incident.id}/record`);
    expect(record.status).toBe(200);
  });
});
