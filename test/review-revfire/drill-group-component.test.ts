import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drills } from '../../db/schema/index.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { makeUser } from '../helpers/site.ts';

describe('a drill scheduled for later', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    t = await createTestContext({ env: { COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(() => t.close());

  it('naming a component group is refused when scheduled, or runs at its time (never fails silently then)', async () => {
    const pm = await makeUser(t, 'responder', 'pm@acme.com');
    const payments = await makeComponent(t.deps, { name: 'Payments', isGroup: true });
    await makeComponent(t.deps, { name: 'Card payments', groupId: payments.id });
    const at = new Date(t.clock.now().getTime() + 24 * 3600_000);
    const res = await admin.post('/api/admin/drills', {
      title: 'Payments game day',
      scenario: 'Practice: the card processor is down.',
      priority: 1,
      componentIds: [payments.id],
      participantIds: [pm.id],
      scheduledFor: at.toISOString(),
    });
    if (res.status !== 201) {
      expect(res.status).toBe(422);
      return;
    }
    // Accepted (as a maintenance window accepts a group, for its components): then it must run.
    // Today it is marked failed at its time and no participant or admin is told.
    t.clock.set(at);
    await createScheduler(t.deps).runOnce();
    const [d] = await t.deps.db.select().from(drills).where(eq(drills.id, res.json.drill.id));
    expect({ state: d!.state, lastError: d!.lastError }).toEqual({
      state: 'started',
      lastError: null,
    });
  });
});
