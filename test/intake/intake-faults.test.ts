import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { incidents, reportAlerts, reports } from '../../db/schema/index.ts';
import { createAlertRule } from '../../server/domain/alerts/save-alert-rule.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { holdWriteLock, startApiProcess } from '../helpers/lock-holder.ts';
import { alertmanagerPayload } from './fixtures.ts';
import { intakeToken, postAlert } from './helpers.ts';
import { listenApi } from './herald-server.ts';

// The world around the intake breaks: the database refuses writes, two Herald processes take
// the same group at once. Nothing is lost (the sender is told to retry) and nothing doubled.
describe('alerts in when things break', () => {
  let t: TestContext;
  let token: string;
  beforeEach(async () => {
    t = await createTestContext({
      clock: systemClock,
      env: { DATABASE_WRITE_WAIT_SECONDS: '0.2' },
    });
    token = await intakeToken(t);
  });
  afterEach(async () => t.close());

  /** Alertmanager's documented ProbeFailure group, sent in with the intake token. */
  const probeFailure = () => postAlert(t, 'alertmanager', token, alertmanagerPayload());

  /** A routing rule that declares a P1 incident for ProbeFailure alerts. */
  const declareProbeFailures = () =>
    createAlertRule(
      t.deps,
      { name: 'Page', matchers: { alertname: 'ProbeFailure' }, priority: 1, declare: true },
      testActor,
    );

  /**
   * The database refuses inserts into `table` (those matching `when`, if given), as a full disk
   * would, until the returned function lifts the refusal.
   */
  async function refuseInserts(table: string, when = '') {
    const trigger = `refuse_${table}`;
    await t.deps.db.run(
      sql.raw(
        `CREATE TRIGGER ${trigger} BEFORE INSERT ON ${table} ${when} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
      ),
    );
    return () => t.deps.db.run(sql.raw(`DROP TRIGGER ${trigger}`));
  }

  it('a database held by another process answers 503 with Retry-After and files nothing; the retry files one report', async () => {
    const lock = await holdWriteLock(t.dbUrl, 60_000);
    let refused;
    try {
      refused = await probeFailure();
    } finally {
      lock.kill();
      await lock.released;
    }
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await t.deps.db.select().from(reports)).toEqual([]);
    // Alertmanager retries a 5xx: the retry and a repeat after it make one report.
    const retried = await probeFailure();
    const repeat = await probeFailure();
    expect(retried.json.reports[0].outcome).toBe('filed');
    expect(repeat.json.reports[0]).toMatchObject({
      outcome: 'updated',
      reportId: retried.json.reports[0].reportId,
    });
    expect(await t.deps.db.select().from(reports)).toHaveLength(1);
  }, 60_000);

  it('two Herald processes taking the same groups at once file one report per group', async () => {
    const here = await listenApi(t);
    const there = await startApiProcess(t.dbUrl);
    try {
      const groups = Array.from({ length: 20 }, (_, i) => {
        const base = alertmanagerPayload();
        return JSON.stringify({
          ...base,
          groupKey: `{}:{alertname="Twin${i}"}`,
          alerts: [
            { ...base.alerts[0], fingerprint: `twin-${i}`, labels: { alertname: `Twin${i}` } },
          ],
        });
      });
      // Each group goes to both processes at the same moment, three times over.
      const sends = [];
      for (let round = 0; round < 3; round++)
        for (const body of groups)
          for (const url of [here.url, there.base])
            sends.push(
              fetch(`${url}/api/intake/alertmanager`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
                body,
              }).then(async (r) => {
                await r.arrayBuffer();
                return r.status;
              }),
            );
      const statuses = await Promise.all(sends);
      // Under write contention a request may be told to retry (503); never a 500.
      expect(statuses.filter((s) => s !== 202 && s !== 503)).toEqual([]);
      expect(statuses.filter((s) => s === 202).length).toBeGreaterThan(0);
      const rows = await t.deps.db.select().from(reports);
      const perKey = new Map<string, number>();
      for (const r of rows) perKey.set(r.alertKey!, (perKey.get(r.alertKey!) ?? 0) + 1);
      expect(Math.max(...perKey.values())).toBe(1);
      for (const r of rows)
        expect(
          await t.deps.db.select().from(reportAlerts).where(eq(reportAlerts.reportId, r.id)),
        ).toHaveLength(1);
    } finally {
      await there.stop();
      await here.close();
    }
  }, 120_000);

  it('a declare that fails is answered 5xx and made by the retry, once', async () => {
    await declareProbeFailures();
    // The database refuses new incidents (as a full disk would), after the report is filed.
    const accept = await refuseInserts('incidents');
    const failed = await probeFailure();
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const [filed] = await t.deps.db.select().from(reports);
    expect(filed).toMatchObject({ state: 'open', incidentId: null, alertDeclaringAt: null });
    expect(await t.deps.db.select().from(incidents)).toEqual([]);
    await accept();
    const retried = await probeFailure();
    expect(retried.status).toBe(202);
    expect(retried.json.reports[0]).toMatchObject({ reportId: filed!.id, outcome: 'updated' });
    expect(retried.json.reports[0].incidentId).toBeTruthy();
    const again = await probeFailure();
    expect(again.json.reports[0].incidentId).toBe(retried.json.reports[0].incidentId);
    expect(await t.deps.db.select().from(incidents)).toHaveLength(1);
    const [declared] = await t.deps.db.select().from(reports);
    expect(declared).toMatchObject({ state: 'declared', priority: 1 });
  });

  it('when the incident stands but marking the report fails, the retry never declares a second incident', async () => {
    await declareProbeFailures();
    // The incident commits; the report's "declare" decision is refused by the database.
    const accept = await refuseInserts('report_events', "WHEN NEW.action = 'declare'");
    const failed = await probeFailure();
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await t.deps.db.select().from(incidents)).toHaveLength(1);
    await accept();
    const retried = await probeFailure();
    expect(retried.status).toBe(202);
    expect(await t.deps.db.select().from(incidents)).toHaveLength(1);
    // The report waits in triage, as P1, for a person to link or decide it.
    const [r] = await t.deps.db.select().from(reports);
    expect(r).toMatchObject({ state: 'open', priority: 1 });
  });
});
