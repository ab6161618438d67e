import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  auditLog,
  components,
  incidents,
  outboxMessages,
  reportAlerts,
  reports,
  settings,
} from '../../db/schema/index.ts';
import { setComponentStatus } from '../../server/domain/components/set-component-status.ts';
import { runTriageTimebox } from '../../server/domain/reports/run-triage-timebox.ts';
import { setOnDuty } from '../../server/domain/reports/update-triage-settings.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident, makeUserActor } from '../helpers/factories.ts';
import {
  alertmanagerPayload,
  datadogPayload,
  grafanaPayload,
  pagerdutyEvent,
  pagerdutyNote,
} from './fixtures.ts';
import { intakeToken, pagerdutySignature, postAlert } from './helpers.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';

const PD_SECRET = 'pd-subscription-secret-1234';

describe('alerts in: the intake endpoints', () => {
  let t: TestContext;
  let intake: string;
  let admin: ReturnType<typeof api>;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({
      env: { PAGERDUTY_WEBHOOK_SECRET: PD_SECRET, SMTP_URL: smtp.url },
    });
    intake = await intakeToken(t);
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  beforeEach(async () => {
    for (const r of (await admin.get('/api/admin/alert-rules')).json.rules)
      await admin.del(`/api/admin/alert-rules/${r.id}`);
  });

  /** Posts an alert to /api/intake/<source> with the suite's intake token. */
  const sendAlert = (source: string, body: unknown, headers: Record<string, string> = {}) =>
    postAlert(t, source, intake, body, headers);
  /** Posts a PagerDuty webhook event signed with the subscription's secret. */
  const sendPagerDuty = (body: string) =>
    sendAlert('pagerduty', body, { 'x-pagerduty-signature': pagerdutySignature(PD_SECRET, body) });
  const reportCount = async () => (await t.deps.db.select().from(reports)).length;
  const statusOf = async (id: string) =>
    (await t.deps.db.select().from(components).where(eq(components.id, id)))[0]!.status;
  const incidentRow = async (id: string) =>
    (await t.deps.db.select().from(incidents).where(eq(incidents.id, id)))[0];

  /** Adds a routing rule through the admin API; its answer. */
  const addRule = (rule: Record<string, unknown>) => admin.post('/api/admin/alert-rules', rule);
  /** A new component and a routing rule to it: what tests of a rule's effect on a page start from. */
  async function componentWithRule(name: string, rule: Record<string, unknown>) {
    const component = await makeComponent(t.deps, { name });
    return { component, rule: await addRule({ ...rule, componentId: component.id }) };
  }

  /** An Alertmanager group of one alert name, grouped by it (Alertmanager's `group_by`). */
  const alertmanagerGroup = (alertname: string) =>
    alertmanagerPayload({
      groupKey: `{}:{alertname="${alertname}"}`,
      commonLabels: { alertname },
      groupLabels: { alertname },
    });
  /** The group as Alertmanager sends it once the alerts listed ended at `endsAt`. */
  const resolvedGroup = (
    group: ReturnType<typeof alertmanagerPayload>,
    alerts: Record<string, unknown>[],
    endsAt = '2023-02-06T14:00:00Z',
  ) => ({
    ...group,
    status: 'resolved',
    alerts: alerts.map((a) => ({ ...a, status: 'resolved', endsAt })),
  });

  async function report(id: string) {
    const res = await admin.get(`/api/admin/reports/${id}`);
    expect(res.status).toBe(200);
    return res.json;
  }

  it('takes only intake tokens, and an intake token opens nothing else', async () => {
    expect(
      (await postAlert(t, 'generic', null, { key: 'a', status: 'firing', title: 'x' })).status,
    ).toBe(401);
    const responder = (await makeToken(t, 'responder')).secret;
    const refused = await postAlert(t, 'generic', responder, {
      key: 'a',
      status: 'firing',
      title: 'x',
    });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toMatch(/intake role/);
    const asIntake = api(t, intake);
    const read = await asIntake.get('/api/admin/reports');
    expect(read.status).toBe(403);
    expect(read.json.error.message).toMatch(/intake token/);
    expect(
      (await asIntake.post('/api/admin/incidents', { title: 'x', priority: 0, body: 'y' })).status,
    ).toBe(403);
    expect((await asIntake.get('/api/admin/alert-rules')).status).toBe(403);
    // Nor Statuspage's management API, which takes Herald tokens too.
    const v1 = await t.app.request('/v1/pages', { headers: { authorization: `OAuth ${intake}` } });
    expect(v1.status).toBe(403);
  });

  it('an intake token is made in the admin API and listed with its role', async () => {
    const made = await admin.post('/api/admin/tokens', { name: 'grafana', role: 'intake' });
    expect(made.status).toBe(201);
    expect(made.json.token.role).toBe('intake');
    const posted = await postAlert(t, 'generic', made.json.secret, {
      key: 'made-in-admin',
      status: 'firing',
      title: 'Disk almost full',
    });
    expect(posted.status).toBe(202);
  });

  it('an Alertmanager group arrives as one P2 report with its source, labels, link and first/last seen', async () => {
    const res = await sendAlert('alertmanager', alertmanagerPayload());
    expect(res.status).toBe(202);
    const [r] = res.json.reports;
    expect(r).toMatchObject({ outcome: 'filed', priority: 2, incidentId: null });
    const { report: row, alerts, events } = await report(r.reportId);
    expect(row).toMatchObject({
      state: 'open',
      kind: 'bug',
      priority: 2,
      alertSource: 'alertmanager',
      alertKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
      alertLink: 'http://prometheus.example.org:9093',
      alertLabels: { alertname: 'ProbeFailure', severity: 'critical', job: 'http_checks' },
      alertNotices: 1,
      alertResolvedAt: null,
    });
    expect(row.alertFirstSeenAt).toBe(row.alertLastSeenAt);
    expect(row.whatHappened).toMatch(/^ProbeFailure: BlackBox Probe Failure/);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ fingerprint: '1a30ba71cca2921f', status: 'firing' });
    expect(events.map((e: { reason: string }) => e.reason)).toEqual([
      'No routing rule matched: P2.',
    ]);
    // Alertmanager's firing alerts carry Go's zero time as endsAt: none.
    expect(alerts[0].endsAt).toBeNull();
  });

  it('Grafana’s documented payload is one report listing both alerts, with unknown fields kept in the raw payload', async () => {
    const res = await sendAlert('grafana', grafanaPayload());
    expect(res.status).toBe(202);
    const { report: row, alerts } = await report(res.json.reports[0].reportId);
    expect(row.alertSource).toBe('grafana');
    expect(alerts.map((a: { title: string }) => a.title).sort()).toEqual([
      'High CPU usage',
      'High memory usage',
    ]);
    expect(row.whatHappened).toContain('[firing] High memory usage');
    expect(row.whatHappened).toContain('[firing] High CPU usage');
    // `values`, `orgId`, `state`, `message` are not Herald's, and stay visible to triage.
    const raw = JSON.parse(row.alertPayload);
    expect(raw.alerts[0].values).toEqual({ B: 44.23943737541908, C: 1 });
    expect(raw.state).toBe('alerting');
    const resolved = await sendAlert('grafana', grafanaPayload('resolved'));
    expect(resolved.json.reports[0]).toMatchObject({
      outcome: 'resolved',
      reportId: row.id,
    });
  });

  it('Datadog: Triggered files a report, Re-Triggered updates it, Recovered marks it resolved at the source', async () => {
    const first = await sendAlert('datadog', datadogPayload('Triggered'));
    expect(first.status).toBe(202);
    const id = first.json.reports[0].reportId;
    const again = await sendAlert('datadog', datadogPayload('Re-Triggered'));
    expect(again.json.reports[0]).toMatchObject({ reportId: id, outcome: 'updated' });
    const { report: row } = await report(id);
    expect(row.alertNotices).toBe(2);
    expect(row.alertLabels).toMatchObject({
      env: 'prod',
      service: 'api',
      'availability-zone': 'us-east-1a',
      monitor_id: '1234',
      priority: 'P1',
    });
    expect(row.alertLink).toBe('https://app.datadoghq.com/event/event?id=1234567890123456789');
    const done = await sendAlert('datadog', datadogPayload('Recovered'));
    expect(done.json.reports[0]).toMatchObject({ reportId: id, outcome: 'resolved' });
    const { report: after, events } = await report(id);
    expect(after.alertResolvedAt).not.toBeNull();
    expect(after.state).toBe('open');
    expect(events.at(-1)).toMatchObject({
      action: 'alert_resolved',
      reason: 'Resolved at the source.',
    });
  });

  it('Datadog: a transition Herald does not know is a 400 naming the field', async () => {
    const res = await sendAlert('datadog', {
      ...datadogPayload(),
      transition: 'Exploded',
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('bad_payload');
    expect(Object.keys(res.json.error.fields)).toEqual(['transition']);
  });

  it('PagerDuty: a signed event is taken, a wrong or missing signature is refused and changes nothing', async () => {
    const body = JSON.stringify(pagerdutyEvent());
    const before = await reportCount();
    const unsigned = await sendAlert('pagerduty', body);
    expect(unsigned.status).toBe(401);
    const forged = await sendAlert('pagerduty', body, {
      'x-pagerduty-signature': pagerdutySignature('not-the-secret-at-all', body),
    });
    expect(forged.status).toBe(401);
    expect(await reportCount()).toBe(before);
    // Several signatures while PagerDuty rotates the secret: one match is enough.
    const signed = await sendAlert('pagerduty', body, {
      'x-pagerduty-signature': `${pagerdutySignature('old-secret-old-secret', body)},${pagerdutySignature(PD_SECRET, body)}`,
    });
    expect(signed.status).toBe(202);
    const { report: row } = await report(signed.json.reports[0].reportId);
    expect(row).toMatchObject({
      alertSource: 'pagerduty',
      alertKey: 'PGR0VU2',
      alertLink: 'https://acme.pagerduty.com/incidents/PGR0VU2',
      alertLabels: { service: 'API Service', priority: 'P1', urgency: 'high' },
    });
    const ack = JSON.stringify(pagerdutyEvent('incident.acknowledged', 'acknowledged'));
    const acked = await sendPagerDuty(ack);
    expect(acked.json.reports[0]).toMatchObject({ reportId: row.id, outcome: 'updated' });
    const note = JSON.stringify(pagerdutyNote());
    const noted = await sendPagerDuty(note);
    expect(noted.status).toBe(202);
    expect(noted.json.reports).toEqual([]);
    const res = JSON.stringify(pagerdutyEvent('incident.resolved', 'resolved'));
    const resolved = await sendPagerDuty(res);
    expect(resolved.json.reports[0]).toMatchObject({ reportId: row.id, outcome: 'resolved' });
  });

  it('generic: the same key twice is one report; a resolved key never seen files nothing', async () => {
    const alert = {
      key: 'disk-db-1',
      status: 'firing',
      title: 'Disk 95 % full on db-1',
      description: 'Free space below 5 %.',
      severity: 'warning',
      url: 'https://grafana.example.com/d/disk',
      runbook: 'kept in the raw payload',
    };
    const a = await sendAlert('generic', alert);
    const b = await sendAlert('generic', alert);
    expect(a.json.reports[0].outcome).toBe('filed');
    expect(b.json.reports[0]).toMatchObject({
      outcome: 'updated',
      reportId: a.json.reports[0].reportId,
    });
    const rows = await t.deps.db.select().from(reports).where(eq(reports.alertKey, 'disk-db-1'));
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.alertPayload!).runbook).toBe('kept in the raw payload');
    const ghost = await sendAlert('generic', {
      key: 'never-fired',
      status: 'resolved',
      title: 'x',
    });
    expect(ghost.json.reports[0]).toMatchObject({ outcome: 'ignored', reportId: null });
    expect(
      await t.deps.db.select().from(reports).where(eq(reports.alertKey, 'never-fired')),
    ).toEqual([]);
  });

  it('bad payloads are a 400 naming the field and change nothing', async () => {
    const before = await reportCount();
    const cases: [string, unknown, string][] = [
      ['generic', { key: 'k', title: 'no status' }, 'status'],
      ['generic', { key: 'k', status: 'burning', title: 't' }, 'status'],
      ['generic', { key: 'k', status: 'firing', title: 't', url: 'javascript:alert(1)' }, 'url'],
      ['alertmanager', alertmanagerPayload({ version: '3' }), 'version'],
      ['alertmanager', alertmanagerPayload({ groupKey: 42 }), 'groupKey'],
      [
        'alertmanager',
        alertmanagerPayload({
          alerts: [{ ...alertmanagerPayload().alerts[0], fingerprint: undefined }],
        }),
        'alerts.0.fingerprint',
      ],
      [
        'alertmanager',
        alertmanagerPayload({
          alerts: [{ ...alertmanagerPayload().alerts[0], startsAt: 'yesterday' }],
        }),
        'alerts.0.startsAt',
      ],
      ['grafana', { ...grafanaPayload(), alerts: [] }, 'alerts'],
    ];
    for (const [source, body, field] of cases) {
      const res = await sendAlert(source, body);
      expect(res.status, `${source} ${field}`).toBe(400);
      expect(Object.keys(res.json.error.fields), `${source} ${field}`).toContain(field);
      expect(res.json.error.message).toContain(field);
    }
    const notJson = await sendAlert('generic', '{"key":');
    expect(notJson.status).toBe(400);
    expect(await reportCount()).toBe(before);
  });

  it('a payload declared in a charset other than UTF-8 is a 415 that says so, never misread', async () => {
    const before = await reportCount();
    const body = { key: 'latin', status: 'firing', title: 'Caf\u00e9 down' };
    for (const type of [
      'application/json; charset=iso-8859-1',
      'application/json; charset="windows-1252"',
      'text/plain',
    ]) {
      const res = await sendAlert('generic', body, { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect(res.json.error.message, type).toContain('application/json (UTF-8)');
    }
    // UTF-8 said outright, in any spelling, is JSON as usual.
    const ok = await sendAlert('generic', body, {
      'content-type': 'Application/JSON; Charset="UTF-8"',
    });
    expect(ok.status).toBe(202);
    expect(await reportCount()).toBe(before + 1);
  });

  it('a body over the limit is refused from its Content-Length before it is read', async () => {
    const res = await t.app.request('/api/intake/alertmanager', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${intake}`,
        'content-length': String(2 * 1024 * 1024),
      },
      body: new ReadableStream({ pull() {} }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('a rule routes by labels (first match wins), sets the component status and restores it on resolve', async () => {
    const { component: apiComponent } = await componentWithRule('API', {
      name: 'API critical',
      matchers: { severity: 'critical', service: 'api' },
      priority: 1,
      setStatus: 'partial_outage',
    });
    const { component: web, rule: catchAll } = await componentWithRule('Website', {
      name: 'Everything else critical',
      matchers: { severity: 'critical' },
      priority: 2,
    });
    expect(catchAll.json.rule.position).toBe(2);
    const fire = {
      key: 'api-5xx',
      status: 'firing',
      title: 'API 5xx above 5 %',
      severity: 'critical',
      labels: { service: 'api' },
    };
    const filed = await sendAlert('generic', fire);
    expect(filed.json.reports[0]).toMatchObject({ outcome: 'filed', priority: 1 });
    const { report: row, events } = await report(filed.json.reports[0].reportId);
    expect(row.componentIds).toEqual([apiComponent.id]);
    expect(row.affected).toBe('API');
    expect(events[0].reason).toBe('Routed by the rule "API critical" to P1.');
    expect(await statusOf(apiComponent.id)).toBe('partial_outage');
    // The catch-all matches only what the first rule did not.
    const other = await sendAlert('generic', {
      ...fire,
      key: 'web-down',
      labels: { service: 'web' },
    });
    expect(other.json.reports[0].priority).toBe(2);
    expect(await statusOf(web.id)).toBe('operational');

    const resolved = await sendAlert('generic', { ...fire, status: 'resolved' });
    expect(resolved.json.reports[0].outcome).toBe('resolved');
    expect(await statusOf(apiComponent.id)).toBe('operational');
    // Firing again (a flap) puts the rule's status back on the same report.
    const flap = await sendAlert('generic', fire);
    expect(flap.json.reports[0]).toMatchObject({ outcome: 'refired', reportId: row.id });
    expect(await statusOf(apiComponent.id)).toBe('partial_outage');
    await sendAlert('generic', { ...fire, status: 'resolved' });
  });

  it('a resolved alert leaves the component alone while an open incident holds it, or someone changed it', async () => {
    const { component: db } = await componentWithRule('Database', {
      name: 'DB',
      matchers: { service: 'db' },
      priority: 2,
      setStatus: 'degraded_performance',
    });
    const fire = { key: 'db-slow', status: 'firing', title: 'DB slow', labels: { service: 'db' } };
    await sendAlert('generic', fire);
    const { incident } = await makeIncident(t.deps, {
      priority: 2,
      components: [{ componentId: db.id, status: 'degraded_performance' }],
    });
    await sendAlert('generic', { ...fire, status: 'resolved' });
    expect(await statusOf(db.id)).toBe('degraded_performance');
    expect(incident.status).not.toBe('resolved');

    const { component: cache } = await componentWithRule('Cache', {
      name: 'Cache',
      matchers: { service: 'cache' },
      priority: 2,
      setStatus: 'degraded_performance',
    });
    const cacheFire = {
      key: 'cache-slow',
      status: 'firing',
      title: 'Cache slow',
      labels: { service: 'cache' },
    };
    await sendAlert('generic', cacheFire);
    await setComponentStatus(t.deps, { componentId: cache.id, status: 'major_outage' }, testActor);
    await sendAlert('generic', { ...cacheFire, status: 'resolved' });
    expect(await statusOf(cache.id)).toBe('major_outage');
  });

  it('only a rule that says so declares, at its priority with its templated update; resolving tells the owner and never resolves', async () => {
    const { component: checkout, rule } = await componentWithRule('Checkout', {
      name: 'Checkout down',
      matchers: { alertname: 'CheckoutDown' },
      priority: 1,
      setStatus: 'major_outage',
      declare: true,
      incidentTitle: '{component} is unavailable',
      incidentBody: 'Customers cannot pay: {component} is failing ({alert}). We are on it.',
    });
    expect(rule.status).toBe(201);
    const owner = await makeUserActor(t.deps, 'oncall@acme.com');
    const fire = {
      key: 'checkout-down',
      status: 'firing',
      title: 'CheckoutDown',
      labels: { alertname: 'CheckoutDown' },
    };
    const filed = await sendAlert('generic', fire);
    const { reportId, incidentId, priority } = filed.json.reports[0];
    expect(priority).toBe(1);
    expect(incidentId).toBeTruthy();
    const inc = await incidentRow(incidentId);
    expect(inc).toMatchObject({
      title: 'Checkout is unavailable',
      priority: 1,
      status: 'investigating',
    });
    const detail = await admin.get(`/api/admin/incidents/${incidentId}`);
    expect(JSON.stringify(detail.json)).toContain(
      'Customers cannot pay: Checkout is failing (CheckoutDown). We are on it.',
    );
    const { report: row } = await report(reportId);
    expect(row).toMatchObject({ state: 'declared', incidentId });
    expect(await statusOf(checkout.id)).toBe('major_outage');
    // Nobody owns a declared-by-rule incident yet: the owner takes it, then hears of the resolve.
    await t.deps.db
      .update(incidents)
      .set({ ownerId: owner.id })
      .where(eq(incidents.id, incidentId));
    // Repeats do not declare again.
    const again = await sendAlert('generic', fire);
    expect(again.json.reports[0]).toMatchObject({ outcome: 'updated', incidentId });
    expect(
      await t.deps.db
        .select()
        .from(incidents)
        .where(eq(incidents.title, 'Checkout is unavailable')),
    ).toHaveLength(1);

    await sendAlert('generic', { ...fire, status: 'resolved' });
    const still = await incidentRow(incidentId);
    expect(still!.status).toBe('investigating');
    const told = await t.deps.db
      .select()
      .from(outboxMessages)
      .where(eq(outboxMessages.toAddress, 'oncall@acme.com'));
    expect(told.map((m) => [m.kind, (m.payload as { alert?: string }).alert])).toEqual([
      ['report_alert', 'resolved_at_source'],
    ]);
    await testWorker(t).drain();
    const [mail] = smtp.to('oncall@acme.com');
    expect(mail?.parsed.subject).toBe('RESOLVED AT THE SOURCE: P1 REPORT: CHECKOUTDOWN');
    expect(mail?.parsed.text).toContain('Herald never resolves an incident by itself');
    expect(mail?.parsed.text).toContain('"Checkout is unavailable" (P1)');
    // The incident holds the component: the resolve does not restore it.
    expect(await statusOf(checkout.id)).toBe('major_outage');
  });

  it('an alert whose title spans lines still declares, with a one-line incident title', async () => {
    const { component: search, rule } = await componentWithRule('Search', {
      name: 'Search down',
      matchers: { alertname: 'SearchDown' },
      priority: 1,
      declare: true,
      incidentTitle: '{alert}',
    });
    expect(rule.status).toBe(201);
    const filed = await sendAlert('generic', {
      key: 'search-down',
      status: 'firing',
      title: 'Search is down\r\n  on every node\nsince 14:00',
      labels: { alertname: 'SearchDown' },
    });
    const { incidentId } = filed.json.reports[0];
    expect(incidentId).toBeTruthy();
    const inc = await incidentRow(incidentId);
    expect(inc!.title).toBe('Search is down on every node since 14:00');
  });

  it('a rule without `declare` never declares, whatever its priority', async () => {
    await addRule({
      name: 'P0 but triage first',
      matchers: { team: 'payments' },
      priority: 0,
    });
    const before = (await t.deps.db.select().from(incidents)).length;
    const res = await sendAlert('generic', {
      key: 'payments-p0',
      status: 'firing',
      title: 'Payments failing',
      labels: { team: 'payments' },
    });
    expect(res.json.reports[0]).toMatchObject({ priority: 0, incidentId: null });
    expect((await t.deps.db.select().from(incidents)).length).toBe(before);
  });

  it('routing rules refuse what cannot work, naming the field', async () => {
    const noComponent = await addRule({
      name: 'x',
      priority: 1,
      setStatus: 'major_outage',
    });
    expect(noComponent.status).toBe(422);
    expect(noComponent.json.error.fields).toHaveProperty('setStatus');
    const badTemplate = await addRule({
      name: 'x',
      priority: 1,
      declare: true,
      incidentBody: 'We see {alret}',
    });
    expect(badTemplate.json.error.fields).toHaveProperty('incidentBody');
    const responder = api(t, (await makeToken(t, 'responder')).secret);
    expect(
      (await responder.post('/api/admin/alert-rules', { name: 'x', priority: 1 })).status,
    ).toBe(403);
  });

  it('rules are evaluated in the order set; moving one changes which matches', async () => {
    const a = await addRule({
      name: 'A',
      matchers: { env: 'prod' },
      priority: 3,
    });
    const b = await addRule({
      name: 'B',
      matchers: { env: 'prod', tier: 'db' },
      priority: 1,
    });
    const labels = { env: 'prod', tier: 'db' };
    const first = await sendAlert('generic', {
      key: 'order-1',
      status: 'firing',
      title: 't',
      labels,
    });
    expect(first.json.reports[0].priority).toBe(3);
    const moved = await admin.patch(`/api/admin/alert-rules/${b.json.rule.id}`, { position: 1 });
    expect(moved.json.rule.position).toBe(1);
    const rules = (await admin.get('/api/admin/alert-rules')).json.rules;
    expect(rules.map((r: { name: string }) => r.name)).toEqual(['B', 'A']);
    expect(a.status).toBe(201);
    const second = await sendAlert('generic', {
      key: 'order-2',
      status: 'firing',
      title: 't',
      labels,
    });
    expect(second.json.reports[0].priority).toBe(1);
  });

  it('alert reports follow the triage timebox: the on-duty reminder at half time, the escalation when overdue', async () => {
    const duty = await makeUserActor(t.deps, 'duty@acme.com');
    await setOnDuty(t.deps, { userId: duty.id!, onDuty: true }, testActor);
    await addRule({
      name: 'P1s',
      matchers: { sev: 'page' },
      priority: 1,
    });
    const res = await sendAlert('generic', {
      key: 'timebox',
      status: 'firing',
      title: 'Queue backlog',
      labels: { sev: 'page' },
    });
    const id = res.json.reports[0].reportId;
    t.clock.advance(20 * 60_000);
    const steps = await runTriageTimebox(t.deps);
    expect(steps).toContainEqual({ reportId: id, step: 'reminder', sentTo: ['duty@acme.com'] });
    t.clock.advance(20 * 60_000);
    expect((await runTriageTimebox(t.deps)).find((s) => s.reportId === id)?.step).toBe('overdue');
  });

  it('deciding an alert’s report mails nobody (there is no reporter) and is audited', async () => {
    const res = await sendAlert('generic', { key: 'decide-me', status: 'firing', title: 'Noise' });
    const id = res.json.reports[0].reportId;
    const before = (await t.deps.db.select().from(outboxMessages)).length;
    const decided = await admin.post(`/api/admin/reports/${id}/decision`, {
      action: 'close',
      closeReason: 'not_reproducible',
      reason: 'Flaky probe',
    });
    expect(decided.status).toBe(200);
    expect((await t.deps.db.select().from(outboxMessages)).length).toBe(before);
    const audit = await t.deps.db.select().from(auditLog).where(eq(auditLog.objectId, id));
    expect(audit.map((a) => a.action)).toEqual(['report.file', 'report.close']);
    // Closed and then resolved: the next firing is a new problem, a new report.
    await sendAlert('generic', { key: 'decide-me', status: 'resolved', title: 'Noise' });
    const next = await sendAlert('generic', { key: 'decide-me', status: 'firing', title: 'Noise' });
    expect(next.json.reports[0].outcome).toBe('filed');
    expect(next.json.reports[0].reportId).not.toBe(id);
    expect(
      (await t.deps.db.select().from(reportAlerts).where(eq(reportAlerts.fingerprint, 'decide-me')))
        .length,
    ).toBe(2);
  });

  it('alerts leave the public page alone (no change, no purge) unless a rule changes a component, which is audited', async () => {
    const counter = async () => (await t.deps.db.select().from(settings))[0]!.changeCounter;
    const before = await counter();
    for (let i = 0; i < 5; i++)
      await sendAlert('generic', { key: 'quiet', status: 'firing', title: 'Quiet' });
    await sendAlert('generic', { key: 'quiet', status: 'resolved', title: 'Quiet' });
    expect(await counter()).toBe(before);
    const { component: search } = await componentWithRule('Search', {
      name: 'Search',
      matchers: { service: 'search' },
      priority: 2,
      setStatus: 'degraded_performance',
    });
    const afterSetup = await counter();
    await sendAlert('generic', {
      key: 'search-slow',
      status: 'firing',
      title: 'Search slow',
      labels: { service: 'search' },
    });
    expect(await counter()).toBeGreaterThan(afterSetup);
    const audit = await t.deps.db.select().from(auditLog).where(eq(auditLog.objectId, search.id));
    expect(audit.at(-1)).toMatchObject({
      action: 'component.set_status',
      actorLabel: 'token prometheus',
      after: { status: 'degraded_performance' },
    });
  });

  it('a generic alert naming a component (by name) suggests it when no rule does', async () => {
    const web = await makeComponent(t.deps, { name: 'Marketing site' });
    const res = await sendAlert('generic', {
      key: 'marketing-500',
      status: 'firing',
      title: 'Marketing site answers 500',
      component: 'marketing SITE',
    });
    const { report: row } = await report(res.json.reports[0].reportId);
    expect(row).toMatchObject({ componentIds: [web.id], affected: 'Marketing site', priority: 2 });
  });

  it('a group resolves when the source says so, even if an alert it listed before is no longer listed', async () => {
    const base = alertmanagerPayload({ groupKey: '{}:{alertname="Partial"}' });
    const a = {
      ...base.alerts[0],
      fingerprint: 'partial-a',
      labels: { alertname: 'Partial', i: 'a' },
    };
    const b = {
      ...base.alerts[0],
      fingerprint: 'partial-b',
      labels: { alertname: 'Partial', i: 'b' },
    };
    const filed = await sendAlert('alertmanager', { ...base, alerts: [a, b] });
    const id = filed.json.reports[0].reportId;
    // b was silenced: Alertmanager stops listing it; a resolves.
    const done = await sendAlert('alertmanager', resolvedGroup(base, [a]));
    expect(done.json.reports[0]).toMatchObject({ reportId: id, outcome: 'resolved' });
    const { alerts } = await report(id);
    expect(
      alerts.map((x: { fingerprint: string; status: string }) => [x.fingerprint, x.status]),
    ).toEqual([
      ['partial-b', 'firing'],
      ['partial-a', 'resolved'],
    ]);
  });

  it('an alert sent under two group keys (two routes, or a new group_by) stays on one report, and its resolve reaches it', async () => {
    const base = alertmanagerPayload();
    const alert = {
      ...base.alerts[0],
      fingerprint: 'twice-routed',
      labels: { alertname: 'Twice' },
    };
    const first = await sendAlert('alertmanager', {
      ...base,
      groupKey: '{}/{team="a"}:{alertname="Twice"}',
      alerts: [alert],
    });
    const second = await sendAlert('alertmanager', {
      ...base,
      groupKey: '{}/{severity="critical"}:{alertname="Twice"}',
      alerts: [alert],
    });
    expect(second.json.reports[0]).toMatchObject({
      outcome: 'updated',
      reportId: first.json.reports[0].reportId,
    });
    const resolved = await sendAlert(
      'alertmanager',
      resolvedGroup({ ...base, groupKey: '{}/{severity="critical"}:{alertname="Twice"}' }, [alert]),
    );
    expect(resolved.json.reports[0]).toMatchObject({
      outcome: 'resolved',
      reportId: first.json.reports[0].reportId,
    });
    const listing = await t.deps.db
      .select()
      .from(reportAlerts)
      .where(eq(reportAlerts.fingerprint, 'twice-routed'));
    expect(listing).toHaveLength(1);
  });

  it('a group cut by max_alerts stays firing when Alertmanager says it fires, though the alerts it listed are resolved', async () => {
    // docs/integrations.md tells users to set max_alerts: 100. Alertmanager then lists the first
    // 100 alerts of a group (sorted by labels, not by status), counts the rest in
    // truncatedAlerts, and says in `status` whether the group as a whole still fires.
    const { component: db } = await componentWithRule('Database', {
      name: 'DB replicas',
      matchers: { alertname: 'ReplicaLag' },
      priority: 1,
      setStatus: 'partial_outage',
    });
    const base = alertmanagerGroup('ReplicaLag');
    const alert = (i: string, status: 'firing' | 'resolved') => ({
      ...base.alerts[0],
      status,
      labels: { alertname: 'ReplicaLag', instance: `db-${i}` },
      fingerprint: `replica-${i}`,
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2023-02-06T14:00:00Z',
    });
    const filed = await sendAlert('alertmanager', {
      ...base,
      alerts: [alert('a', 'firing'), alert('z', 'firing')],
    });
    expect(filed.json.reports[0].outcome).toBe('filed');
    expect(await statusOf(db.id)).toBe('partial_outage');

    // db-a recovered; db-z still fires but was cut from the list (max_alerts: 1 here).
    const next = await sendAlert('alertmanager', {
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

  it('Grafana: a group it says still fires stays firing when the alerts it listed resolved (the rest cut from the list)', async () => {
    // Fingerprints of their own: the documented example's belong to another test's report.
    const own = (p: ReturnType<typeof grafanaPayload>) => ({
      ...p,
      groupKey: '{}/{grafana_folder="cut"}:{alertname="GrafanaCut"}',
      alerts: p.alerts.map((a, i) => ({ ...a, fingerprint: `grafana-cut-${i}` })),
    });
    const filed = await sendAlert('grafana', own(grafanaPayload()));
    expect(filed.json.reports[0].outcome).toBe('filed');
    const resolved = own(grafanaPayload('resolved'));
    const cut = await sendAlert('grafana', {
      ...resolved,
      status: 'firing',
      truncatedAlerts: 1,
      alerts: [resolved.alerts[0]],
    });
    expect(cut.json.reports[0]).toMatchObject({
      reportId: filed.json.reports[0].reportId,
      outcome: 'updated',
    });
    const done = await sendAlert('grafana', resolved);
    expect(done.json.reports[0].outcome).toBe('resolved');
  });

  it('an alert that fires again after its declared incident was resolved reaches someone: a new report (and, by its rule, a new incident)', async () => {
    const { component: checkout } = await componentWithRule('Checkout', {
      name: 'Checkout down',
      matchers: { alertname: 'CheckoutDown' },
      priority: 1,
      setStatus: 'major_outage',
      declare: true,
    });
    const base = alertmanagerGroup('CheckoutDown');
    const a = { ...base.alerts[0], labels: { alertname: 'CheckoutDown' }, fingerprint: 'co-1' };
    const first = await sendAlert('alertmanager', { ...base, alerts: [a] });
    const { reportId, incidentId } = first.json.reports[0];
    expect(incidentId).toBeTruthy();
    await sendAlert('alertmanager', resolvedGroup(base, [a]));
    // The PM posts the all-clear: the incident is over.
    const resolved = await admin.post(`/api/admin/incidents/${incidentId}/resolve`, {
      notify: false,
    });
    expect(resolved.status).toBe(200);

    // Weeks later the same group (Alertmanager's groupKey is stable) fires again.
    const again = await sendAlert('alertmanager', {
      ...base,
      alerts: [{ ...a, startsAt: '2023-03-01T09:00:00Z' }],
    });
    expect(again.status).toBe(202);
    const out = again.json.reports[0];
    expect(out.outcome).toBe('filed');
    expect(out.reportId).not.toBe(reportId);
    expect(out.incidentId).toBeTruthy();
    expect(out.incidentId).not.toBe(incidentId);
  });

  it('an alert merged into an incident that was resolved files a new report when it fires again, while a flap before the all-clear stays on the merged one', async () => {
    const filed = await sendAlert('generic', {
      key: 'merged-flap',
      status: 'firing',
      title: 'Queue backlog',
    });
    const id = filed.json.reports[0].reportId;
    const { incident } = await makeIncident(t.deps, { title: 'Slow jobs', priority: 2 });
    const merged = await admin.post(`/api/admin/reports/${id}/decision`, {
      action: 'merge',
      incidentId: incident.id,
      reason: 'Same problem',
    });
    expect(merged.status).toBe(200);
    const resolve = { key: 'merged-flap', status: 'resolved', title: 'Queue backlog' };
    const fire = { ...resolve, status: 'firing' };
    await sendAlert('generic', resolve);
    // The incident is still open: a flap belongs to it.
    expect((await sendAlert('generic', fire)).json.reports[0]).toMatchObject({
      reportId: id,
      outcome: 'refired',
    });
    await sendAlert('generic', resolve);
    expect(
      (await admin.post(`/api/admin/incidents/${incident.id}/resolve`, { notify: false })).status,
    ).toBe(200);
    const again = await sendAlert('generic', fire);
    expect(again.json.reports[0].outcome).toBe('filed');
    expect(again.json.reports[0].reportId).not.toBe(id);
  });

  it('a late copy of an earlier "resolved" does not resolve a group that has fired again since (Alertmanager HA pair)', async () => {
    const { component: web } = await componentWithRule('Web', {
      name: 'Web down',
      matchers: { alertname: 'WebDown' },
      priority: 1,
      setStatus: 'major_outage',
    });
    const base = alertmanagerGroup('WebDown');
    const a = { ...base.alerts[0], labels: { alertname: 'WebDown' }, fingerprint: 'web-1' };
    const firstEpisode = { ...a, startsAt: '2023-02-06T13:00:00Z' };
    const resolvedFirst = resolvedGroup(base, [firstEpisode], '2023-02-06T13:10:00Z');
    await sendAlert('alertmanager', { ...base, alerts: [firstEpisode] });
    await sendAlert('alertmanager', resolvedFirst);
    // It fires again at 13:20 (a new episode: a later startsAt).
    const refired = await sendAlert('alertmanager', {
      ...base,
      alerts: [{ ...a, startsAt: '2023-02-06T13:20:00Z' }],
    });
    expect(refired.json.reports[0].outcome).toBe('refired');
    expect(await statusOf(web.id)).toBe('major_outage');
    // The second Alertmanager of the pair delivers its copy of the 13:10 resolve late.
    const late = await sendAlert('alertmanager', resolvedFirst);
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
    const res = await sendAlert('alertmanager', { ...base, alerts: [a] });
    expect(res.status).toBe(202);
    expect(res.json.reports[0].outcome).toBe('filed');
    const { report: row, alerts } = await report(res.json.reports[0].reportId);
    expect(row.whatHappened).toContain('Cut to fit');
    expect(row.whatHappened).toContain('alerts.0.annotations.description');
    expect(alerts[0].annotations.description).toHaveLength(10_000);
    expect(alerts[0].annotations.summary).toBe('Errors in checkout');
    // The raw payload keeps the annotation as it came.
    expect(JSON.parse(row.alertPayload).alerts[0].annotations.description).toHaveLength(12_000);
  });

  it('labels a source sends too many of, too long or with an empty name are cut, and the alert is filed', async () => {
    const many = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`team${i}`, 'x']));
    const generic = await sendAlert('generic', {
      key: 'many-labels',
      status: 'firing',
      title: 'Too many labels',
      severity: 'critical',
      labels: many,
    });
    expect(generic.status).toBe(202);
    const { report: g } = await report(generic.json.reports[0].reportId);
    expect(Object.keys(g.alertLabels)).toHaveLength(200);
    expect(g.alertLabels.severity).toBe('critical');
    expect(g.whatHappened).toContain('labels.team');
    // Datadog tags are free text: ":x" has no name, and a tag may run long.
    const datadog = await sendAlert('datadog', {
      ...datadogPayload(),
      alert_id: 'tags-cut',
      tags: `env:prod,:nameless,service:${'s'.repeat(20_000)}`,
    });
    expect(datadog.status).toBe(202);
    expect(datadog.json.reports[0].outcome).toBe('filed');
    const { report: d } = await report(datadog.json.reports[0].reportId);
    expect(d.alertLabels.env).toBe('prod');
    expect(Object.keys(d.alertLabels)).not.toContain('');
    expect(d.alertLabels.service).toHaveLength(10_000);
    expect(d.whatHappened).toContain('tags.service');
    // Grafana's common labels and PagerDuty's service name: the same cut, never a 4xx.
    const grafana = await sendAlert('grafana', {
      ...grafanaPayload(),
      groupKey: '{}:{alertname="LongCommon"}',
      commonLabels: { alertname: 'LongCommon', '': 'nameless', team: 't'.repeat(20_000) },
      alerts: grafanaPayload().alerts.map((a, i) => ({ ...a, fingerprint: `long-common-${i}` })),
    });
    expect(grafana.status).toBe(202);
    const { report: gr } = await report(grafana.json.reports[0].reportId);
    expect(gr.whatHappened).toContain('commonLabels.team');
    const event = pagerdutyEvent();
    event.event.data.id = 'PLONGNAME';
    event.event.data.service.summary = 'S'.repeat(20_000);
    const pd = JSON.stringify(event);
    const paged = await sendPagerDuty(pd);
    expect(paged.status).toBe(202);
    const { report: p } = await report(paged.json.reports[0].reportId);
    expect(p.alertLabels.service).toHaveLength(10_000);
  });
});
