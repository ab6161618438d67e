import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { users } from '../../db/schema/index.ts';
import { runTriageTimebox } from '../../server/domain/reports/run-triage-timebox.ts';
import { updateTriageSettings } from '../../server/domain/reports/update-triage-settings.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeUser } from '../helpers/site.ts';
import { eventsOf, fileReport } from './helpers.ts';

// Who an overdue P1 report escalates to: the named final authority while their account is
// active, else every admin, so an escalation always reaches someone.

describe('an overdue report’s escalation', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext({ env: { COMPANY_DOMAINS: 'acme.com' } });
  });
  afterEach(() => t.close());

  async function overdueWithAuthority(leaves: boolean) {
    const reporter = await makeUser(t, 'responder', 'sales@acme.com');
    await makeUser(t, 'admin', 'pm@acme.com');
    const boss = await makeUser(t, 'responder', 'cto@acme.com');
    await updateTriageSettings(t.deps, { finalAuthorityUserId: boss.id }, testActor);
    if (leaves)
      await t.deps.db.update(users).set({ disabledAt: t.clock.now() }).where(eq(users.id, boss.id));
    const r = await fileReport(
      t,
      { type: 'user', id: reporter.id, label: reporter.email, role: 'responder' },
      { priority: 1, whatHappened: 'Exports fail' },
    );
    t.clock.advance(31 * 60_000);
    return { steps: await runTriageTimebox(t.deps), reportId: r.id };
  }

  it('goes to the named final authority', async () => {
    const { steps, reportId } = await overdueWithAuthority(false);
    expect(steps).toEqual([{ reportId, step: 'overdue', sentTo: ['cto@acme.com'] }]);
  });

  it('goes to every admin once the final authority’s account is disabled, and says so in the log', async () => {
    const { steps, reportId } = await overdueWithAuthority(true);
    expect(steps).toEqual([{ reportId, step: 'overdue', sentTo: ['pm@acme.com'] }]);
    const overdue = (await eventsOf(t, reportId)).find((e) => e.action === 'overdue');
    expect(overdue?.reason).toBe('Sent to pm@acme.com');
  });
});
