import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { components, incidents, reportAlerts, reports } from '../../db/schema/index.ts';
import { createAlertRule } from '../../server/domain/alerts/save-alert-rule.ts';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { type Alertmanager, startAlertmanager } from './alertmanager-harness.ts';
import { intakeToken, until } from './helpers.ts';
import { listenApi } from './herald-server.ts';

// A real Prometheus Alertmanager (Debian's package) posts to a real listening Herald through its
// webhook receiver, with send_resolved and short group timers.

describe('alerts from a real Alertmanager', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let herald: Awaited<ReturnType<typeof listenApi>>;
  let am: Alertmanager;
  let api: { id: string };
  let checkout: { id: string };

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ clock: systemClock, env: { SMTP_URL: smtp.url } });
    herald = await listenApi(t);
    api = await makeComponent(t.deps, { name: 'API' });
    checkout = await makeComponent(t.deps, { name: 'Checkout' });
    await createAlertRule(
      t.deps,
      {
        name: 'API latency',
        matchers: { service: 'api' },
        componentId: api.id,
        priority: 2,
        setStatus: 'degraded_performance',
      },
      testActor,
    );
    await createAlertRule(
      t.deps,
      {
        name: 'Checkout down',
        matchers: { alertname: 'CheckoutDown' },
        componentId: checkout.id,
        priority: 1,
        setStatus: 'major_outage',
        declare: true,
        incidentTitle: '{component} is down',
        incidentBody: 'Payments are failing. We are working on it.',
      },
      testActor,
    );
    await makeConfirmedSubscriber(t.deps, 'customer@example.org');
    am = await startAlertmanager({
      webhookUrl: `${herald.url}/api/intake/alertmanager`,
      token: await intakeToken(t, 'alertmanager'),
      groupBy: ['alertname', 'service'],
    });
  }, 60_000);
  afterAll(async () => {
    await am?.stop();
    await herald?.close();
    await t?.close();
    await smtp?.close();
  });

  const latency = (instance: string, endsAt?: string) => ({
    labels: { alertname: 'HighLatency', service: 'api', severity: 'warning', instance },
    annotations: { summary: 'p99 latency above 2 s' },
    generatorURL: 'http://prometheus.example.org/graph?g0.expr=latency',
    ...(endsAt ? { endsAt } : {}),
  });
  const checkoutDown = (endsAt?: string) => ({
    labels: { alertname: 'CheckoutDown', service: 'checkout', severity: 'critical' },
    annotations: { summary: 'No successful payment in 5 minutes' },
    ...(endsAt ? { endsAt } : {}),
  });
  const fromAlertmanager = () =>
    t.deps.db.select().from(reports).where(eq(reports.alertSource, 'alertmanager'));
  const reportFor = async (alertname: string) =>
    (await fromAlertmanager()).find((r) => r.alertKey?.includes(`alertname="${alertname}"`));
  const componentStatus = async (id: string) =>
    (await t.deps.db.select().from(components).where(eq(components.id, id)))[0]!.status;

  it('fired alerts arrive as one report per group; a rule sets a component, another declares a P1 its subscribers hear', async () => {
    await am.fire([latency('api-1'), latency('api-2'), checkoutDown()]);
    const latencyReport = await until('the HighLatency group to list both alerts', async () => {
      const r = await reportFor('HighLatency');
      if (!r) return null;
      const listed = await t.deps.db
        .select()
        .from(reportAlerts)
        .where(eq(reportAlerts.reportId, r.id));
      return listed.length === 2 ? r : null;
    });
    expect(latencyReport).toMatchObject({
      state: 'open',
      priority: 2,
      alertLabels: { alertname: 'HighLatency', service: 'api', severity: 'warning' },
      alertComponentId: api.id,
      alertStatusSet: 'degraded_performance',
    });
    expect(latencyReport.whatHappened).toContain('[firing] HighLatency: p99 latency above 2 s');
    expect(await componentStatus(api.id)).toBe('degraded_performance');

    const checkoutReport = await until('the CheckoutDown incident', async () => {
      const r = await reportFor('CheckoutDown');
      return r?.incidentId ? r : null;
    });
    expect(checkoutReport).toMatchObject({ state: 'declared', priority: 1 });
    const [incident] = await t.deps.db
      .select()
      .from(incidents)
      .where(eq(incidents.id, checkoutReport.incidentId!));
    expect(incident).toMatchObject({ title: 'Checkout is down', priority: 1 });
    expect(await componentStatus(checkout.id)).toBe('major_outage');
    expect(await fromAlertmanager()).toHaveLength(2);

    await testWorker(t).drain();
    const [mail] = smtp.to('customer@example.org');
    // A public list hears the impact, never the priority.
    expect(mail?.parsed.subject).toMatch(/^(Major|Partial) outage: Checkout is down$/);
    expect(mail?.parsed.text).toContain('Payments are failing. We are working on it.');
  }, 90_000);

  it('repeat firings update the same reports and file nothing new', async () => {
    const before = (await reportFor('HighLatency'))!;
    await am.fire([latency('api-1'), latency('api-2'), checkoutDown()]);
    // repeat_interval is 500 ms: Alertmanager notifies the same groups again.
    const after = await until('two more notifications of the HighLatency group', async () => {
      const r = await reportFor('HighLatency');
      return r && r.alertNotices >= before.alertNotices + 2 ? r : null;
    });
    expect(after.id).toBe(before.id);
    expect(await fromAlertmanager()).toHaveLength(2);
    const declared = await t.deps.db
      .select()
      .from(incidents)
      .where(eq(incidents.title, 'Checkout is down'));
    expect(declared).toHaveLength(1);
  }, 90_000);

  it('resolving reaches Herald: the report is resolved at the source, the component restored, the incident left open', async () => {
    const past = new Date(Date.now() - 1000).toISOString();
    await am.fire([latency('api-1', past), latency('api-2', past), checkoutDown(past)]);
    const resolved = await until('HighLatency resolved at the source', async () => {
      const r = await reportFor('HighLatency');
      return r?.alertResolvedAt ? r : null;
    });
    expect(resolved.state).toBe('open');
    expect(await componentStatus(api.id)).toBe('operational');
    const listed = await t.deps.db
      .select()
      .from(reportAlerts)
      .where(and(eq(reportAlerts.reportId, resolved.id), eq(reportAlerts.status, 'resolved')));
    expect(listed).toHaveLength(2);

    const checkoutReport = await until('CheckoutDown resolved at the source', async () => {
      const r = await reportFor('CheckoutDown');
      return r?.alertResolvedAt ? r : null;
    });
    const [incident] = await t.deps.db
      .select()
      .from(incidents)
      .where(eq(incidents.id, checkoutReport.incidentId!));
    // Herald never resolves an incident by itself; the incident still holds the component.
    expect(incident!.status).toBe('investigating');
    expect(await componentStatus(checkout.id)).toBe('major_outage');
    expect(await fromAlertmanager()).toHaveLength(2);
  }, 90_000);
});
