import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { components, reports } from '../../db/schema/index.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { alertmanagerPayload } from '../intake/fixtures.ts';
import { intakeToken, postAlert } from '../intake/helpers.ts';

// Review (revtool): alerts in from Alertmanager and Grafana, as a user of the documented
// configuration (docs/integrations.md) would send them.

describe('review: alerts in', () => {
  let t: TestContext;
  let intake: string;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    t = await createTestContext();
    intake = await intakeToken(t);
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(async () => t.close());
  beforeEach(async () => {
    for (const r of (await admin.get('/api/admin/alert-rules')).json.rules)
      await admin.del(`/api/admin/alert-rules/${r.id}`);
  });

  const statusOf = async (id: string) =>
    (await t.deps.db.select().from(components).where(eq(components.id, id)))[0]!.status;

  it('a group cut by max_alerts stays firing when Alertmanager says it fires, though the alerts it listed are resolved', async () => {
    // docs/integrations.md tells users to set max_alerts: 100. Alertmanager then lists the first
    // 100 alerts of a group (sorted by labels, not by status), counts the rest in
    // truncatedAlerts, and says in `status` whether the group as a whole still fires.
    const db = await makeComponent(t.deps, { name: 'Database' });
    await admin.post('/api/admin/alert-rules', {
      name: 'DB replicas',
      matchers: { alertname: 'ReplicaLag' },
      componentId: db.id,
      priority: 1,
      setStatus: 'partial_outage',
    });
    const base = alertmanagerPayload({
      groupKey: '{}:{alertname="ReplicaLag"}',
      commonLabels: { alertname: 'ReplicaLag' },
      groupLabels: { alertname: 'ReplicaLag' },
    });
    const alert = (i: string, status: 'firing' | 'resolved') => ({
      ...base.alerts[0],
      status,
      labels: { alertname: 'ReplicaLag', instance: `db-${i}` },
      fingerprint: `replica-${i}`,
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2023-02-06T14:00:00Z',
    });
    const filed = await postAlert(t, 'alertmanager', intake, {
      ...base,
      alerts: [alert('a', 'firing'), alert('z', 'firing')],
    });
    expect(filed.json.reports[0].outcome).toBe('filed');
    expect(await statusOf(db.id)).toBe('partial_outage');

    // db-a recovered; db-z still fires but was cut from the list (max_alerts: 1 here).
    const next = await postAlert(t, 'alertmanager', intake, {
      ...base,
      status: 'firing',
      truncatedAlerts: 1,
      alerts: [alert('a', 'resolved')],
    });
    expect(next.status).toBe(202);
    expect(next.json.reports[0].outcome).toBe('updated');
    expect(await statusOf(db.id)).toBe('partial_outage');
    const [row] = await t.deps.db
      .select()
      .from(reports)
      .where(eq(reports.id, filed.json.reports[0].reportId));
    expect(row!.alertResolvedAt).toBeNull();
  });

  it('an alert that fires again after its declared incident was resolved reaches someone: a new report (and, by its rule, a new incident)', async () => {
    const checkout = await makeComponent(t.deps, { name: 'Checkout' });
    await admin.post('/api/admin/alert-rules', {
      name: 'Checkout down',
      matchers: { alertname: 'CheckoutDown' },
      componentId: checkout.id,
      priority: 1,
      setStatus: 'major_outage',
      declare: true,
    });
    const base = alertmanagerPayload({
      groupKey: '{}:{alertname="CheckoutDown"}',
      commonLabels: { alertname: 'CheckoutDown' },
      groupLabels: { alertname: 'CheckoutDown' },
    });
    const a = { ...base.alerts[0], labels: { alertname: 'CheckoutDown' }, fingerprint: 'co-1' };
    const first = await postAlert(t, 'alertmanager', intake, { ...base, alerts: [a] });
    const { reportId, incidentId } = first.json.reports[0];
    expect(incidentId).toBeTruthy();
    await postAlert(t, 'alertmanager', intake, {
      ...base,
      status: 'resolved',
      alerts: [{ ...a, status: 'resolved', endsAt: '2023-02-06T14:00:00Z' }],
    });
    // The PM posts the all-clear: the incident is over.
    const resolved = await admin.post(`/api/admin/incidents/${incidentId}/resolve`, {
      notify: false,
    });
    expect(resolved.status).toBe(200);

    // Weeks later the same group (Alertmanager's groupKey is stable) fires again.
    const again = await postAlert(t, 'alertmanager', intake, {
      ...base,
      alerts: [{ ...a, startsAt: '2023-03-01T09:00:00Z' }],
    });
    expect(again.status).toBe(202);
    const out = again.json.reports[0];
    // Today: outcome "refired" on the old declared report, which is in no queue; no incident.
    expect(out.outcome).toBe('filed');
    expect(out.reportId).not.toBe(reportId);
    expect(out.incidentId).toBeTruthy();
    expect(out.incidentId).not.toBe(incidentId);
  });

  it('a late copy of an earlier "resolved" does not resolve a group that has fired again since (Alertmanager HA pair)', async () => {
    const web = await makeComponent(t.deps, { name: 'Web' });
    await admin.post('/api/admin/alert-rules', {
      name: 'Web down',
      matchers: { alertname: 'WebDown' },
      componentId: web.id,
      priority: 1,
      setStatus: 'major_outage',
    });
    const base = alertmanagerPayload({
      groupKey: '{}:{alertname="WebDown"}',
      commonLabels: { alertname: 'WebDown' },
      groupLabels: { alertname: 'WebDown' },
    });
    const a = { ...base.alerts[0], labels: { alertname: 'WebDown' }, fingerprint: 'web-1' };
    const firstEpisode = { ...a, startsAt: '2023-02-06T13:00:00Z' };
    const resolvedFirst = {
      ...base,
      status: 'resolved',
      alerts: [{ ...firstEpisode, status: 'resolved', endsAt: '2023-02-06T13:10:00Z' }],
    };
    await postAlert(t, 'alertmanager', intake, { ...base, alerts: [firstEpisode] });
    await postAlert(t, 'alertmanager', intake, resolvedFirst);
    // It fires again at 13:20 (a new episode: a later startsAt).
    const refired = await postAlert(t, 'alertmanager', intake, {
      ...base,
      alerts: [{ ...a, startsAt: '2023-02-06T13:20:00Z' }],
    });
    expect(refired.json.reports[0].outcome).toBe('refired');
    expect(await statusOf(web.id)).toBe('major_outage');
    // The second Alertmanager of the pair delivers its copy of the 13:10 resolve late.
    const late = await postAlert(t, 'alertmanager', intake, resolvedFirst);
    expect(late.status).toBe(202);
    expect(late.json.reports[0].outcome).not.toBe('resolved');
    // The outage of 13:20 is still on: the page must not say Web is operational.
    expect(await statusOf(web.id)).toBe('major_outage');
  });

  it('an alert with a long description annotation is filed (cut), not refused with a 4xx Alertmanager never retries', async () => {
    // Descriptions templated from query results or stack traces run long; the 1 MB body limit is
    // what docs/integrations.md promises, and the adapter already cuts the description itself.
    const base = alertmanagerPayload({ groupKey: '{}:{alertname="LongText"}' });
    const a = {
      ...base.alerts[0],
      fingerprint: 'long-text',
      annotations: { summary: 'Errors in checkout', description: 'stack frame\n'.repeat(1000) },
    };
    const res = await postAlert(t, 'alertmanager', intake, { ...base, alerts: [a] });
    // Today: 422 validation_failed "alerts.0.annotations.description: has a value over 10,000
    // characters"; Alertmanager drops a 4xx, so the alert never reaches triage.
    expect(res.status).toBe(202);
    expect(res.json.reports[0].outcome).toBe('filed');
  });
});
