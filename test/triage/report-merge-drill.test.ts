import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileReportAsUser } from '../../server/domain/reports/file-report.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeUserActor } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';

// A drill "runs as if it were real", with a real-looking title. A real report that comes in
// meanwhile must not disappear into the practice incident.
describe('triage during a drill', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  let site: Awaited<ReturnType<typeof startSite>>;
  beforeAll(async () => {
    t = await createTestContext({ env: { COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
    site = await startSite(t);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('a real report cannot be merged into the drill incident (nor is the drill offered)', async () => {
    const pm = await makeUserActor(t.deps, 'pm@acme.com');
    const drill = await admin.post('/api/admin/drills', {
      title: 'Checkout is down',
      scenario: 'Practice: card payments fail.',
      priority: 1,
      participantIds: [pm.id],
    });
    expect(drill.status).toBe(201);
    const real = await admin.post('/api/admin/incidents', {
      title: 'Search is slow',
      priority: 2,
      body: 'Investigating.',
    });
    expect(real.status).toBe(201);
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
    // The report would be "merged" into a practice incident, its timebox would end, the
    // reporter would be told it joined "Checkout is down", and no real incident declared.
    expect(merged.status).toBe(422);
    expect(merged.json.error.message).toContain('is a drill');
    expect(merged.json.error.message).toContain('declare an incident from the report');
    const still = await admin.get(`/api/admin/reports/${report.id}`);
    expect(still.json.report?.state ?? still.json.state).toBe('open');

    // The report's page offers the real incident to merge into, not the drill.
    await makeUser(t, 'admin', 'lead@acme.com');
    const lead = new FormClient(site.base);
    await lead.login('lead@acme.com');
    const { html } = await lead.get(`/admin/reports/${report.id}`);
    expect(html).toContain('Search is slow');
    expect(html).not.toContain('Checkout is down');
  });
});
