import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileReportAsUser } from '../../server/domain/reports/file-report.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeUserActor } from '../helpers/factories.ts';

// A drill "runs as if it were real", with a real-looking title. A real report that comes in
// meanwhile must not disappear into the practice incident.
describe('triage during a drill', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    t = await createTestContext({ env: { COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(() => t.close());

  it('a real report cannot be merged into the drill incident (nor is the drill offered unmarked)', async () => {
    const pm = await makeUserActor(t.deps, 'pm@acme.com');
    const drill = await admin.post('/api/admin/drills', {
      title: 'Checkout is down',
      scenario: 'Practice: card payments fail.',
      priority: 1,
      participantIds: [pm.id],
    });
    expect(drill.status).toBe(201);
    const reporter = await makeUserActor(t.deps, 'sales@acme.com');
    const report = await fileReportAsUser(
      t.deps,
      {
        kind: 'bug',
        priority: 1,
        whatHappened: 'Checkout shows a blank page after Pay',
        expected: 'The order confirmation',
        reproduce: 'Cart, then Pay',
        affected: 'Card customers',
        startedWhen: '10:15',
      },
      reporter,
    );
    const merged = await admin.post(`/api/admin/reports/${report.id}/decision`, {
      action: 'merge',
      incidentId: drill.json.incidentId,
    });
    // Today: 200, the report is "merged" into a practice incident, its timebox ends, the
    // reporter is told it joined "Checkout is down", and no real incident is ever declared.
    expect(merged.status).toBe(422);
  });
});
