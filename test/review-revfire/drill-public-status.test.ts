import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { makeUser } from '../helpers/site.ts';

describe('a drill never reaches the public page as a real outage', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    t = await createTestContext({ env: { COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(() => t.close());

  it('starting a drill on a component leaves its public status operational', async () => {
    const pm = await makeUser(t, 'responder', 'pm@acme.com');
    const checkout = await makeComponent(t.deps, { name: 'Checkout' });
    const res = await admin.post('/api/admin/drills', {
      title: 'Checkout drill',
      scenario: 'Practice: the payment provider times out.',
      priority: 0,
      componentIds: [checkout.id],
      participantIds: [pm.id],
    });
    expect(res.status).toBe(201);
    expect(res.json.incidentId).toBeTruthy();

    // Visitors: the v2 summary, the components JSON and the status indicator.
    const summary = await (await t.app.request('/api/v2/summary.json')).json();
    const comp = summary.components.find((c: { name: string }) => c.name === 'Checkout');
    expect(comp.status).toBe('operational');
    expect(summary.status.indicator).toBe('none');
  });
});
