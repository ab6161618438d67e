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

  const statusOf = async (id: string) =>
    (await t.deps.db.select().from(components).where(eq(components.id, id)))[0]!.status;

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
    const res = await postAlert(t, 'alertmanager', intake, alertmanagerPayload());
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
    const res = await postAlert(t, 'grafana', intake, grafanaPayload());
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
    const resolved = await postAlert(t, 'grafana', intake, grafanaPayload('resolved'));
    expect(resolved.json.reports[0]).toMatchObject({
      outcome: 'resolved',
      reportId: row.id,
    });
  });

  it('Datadog: Triggered files a report, Re-Triggered updates it, Recovered marks it resolved at the source', async () => {
    const first = await postAlert(t, 'datadog', intake, datadogPayload('Triggered'));
    expect(first.status).toBe(202);
    const id = first.json.reports[0].reportId;
    const again = await postAlert(t, 'datadog', intake, datadogPayload('Re-Triggered'));
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
    const done = await postAlert(t, 'datadog', intake, datadogPayload('Recovered'));
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
    const res = await postAlert(t, 'datadog', intake, {
      ...datadogPayload(),
      transition: 'Exploded',
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('bad_payload');
    expect(Object.keys(res.json.error.fields)).toEqual(['transition']);
  });

  it('PagerDuty: a signed event is taken, a wrong or missing signature is refused and changes nothing', async () => {
    const body = JSON.stringify(pagerdutyEvent());
    const before = (await t.deps.db.select().from(reports)).length;
    const unsigned = await postAlert(t, 'pagerduty', intake, body);
    expect(unsigned.status).toBe(401);
    const forged = await postAlert(t, 'pagerduty', intake, body, {
      'x-pagerduty-signature': pagerdutySignature('not-the-secret-at-all', body),
    });
    expect(forged.status).toBe(401);
    expect((await t.deps.db.select().from(reports)).length).toBe(before);
    // Several signatures while PagerDuty rotates the secret: one match is enough.
    const signed = await postAlert(t, 'pagerduty', intake, body, {
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
    const acked = await postAlert(t, 'pagerduty', intake, ack, {
      'x-pagerduty-signature': pagerdutySignature(PD_SECRET, ack),
    });
    expect(acked.json.reports[0]).toMatchObject({ reportId: row.id, outcome: 'updated' });
    const note = JSON.stringify(pagerdutyNote());
    const noted = await postAlert(t, 'pagerduty', intake, note, {
      'x-pagerduty-signature': pagerdutySignature(PD_SECRET, note),
    });
    expect(noted.status).toBe(202);
    expect(noted.json.reports).toEqual([]);
    const res = JSON.stringify(pagerdutyEvent('incident.resolved', 'resolved'));
    const resolved = await postAlert(t, 'pagerduty', intake, res, {
      'x-pagerduty-signature': pagerdutySignature(PD_SECRET, res),
    });
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
    const a = await postAlert(t, 'generic', intake, alert);
    const b = await postAlert(t, 'generic', intake, alert);
    expect(a.json.reports[0].outcome).toBe('filed');
    expect(b.json.reports[0]).toMatchObject({
      outcome: 'updated',
      reportId: a.json.reports[0].reportId,
    });
    const rows = await t.deps.db.select().from(reports).where(eq(reports.alertKey, 'disk-db-1'));
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.alertPayload!).runbook).toBe('kept in the raw payload');
    const ghost = await postAlert(t, 'generic', intake, {
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
    const before = (await t.deps.db.select().from(reports)).length;
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
      const res = await postAlert(t, source, intake, body);
      expect(res.status, `${source} ${field}`).toBe(400);
      expect(Object.keys(res.json.error.fields), `${source} ${field}`).toContain(field);
      expect(res.json.error.message).toContain(field);
    }
    const notJson = await postAlert(t, 'generic', intake, '{"key":');
    expect(notJson.status).toBe(400);
    expect((await t.deps.db.select().from(reports)).length).toBe(before);
  });

  it('a payload declared in a charset other than UTF-8 is a 415 that says so, never misread', async () => {
    const before = (await t.deps.db.select().from(reports)).length;
    const body = { key: 'latin', status: 'firing', title: 'Caf\u00e9 down' };
    for (const type of [
      'application/json; charset=iso-8859-1',
      'application/json; charset="windows-1252"',
      'text/plain',
    ]) {
      const res = await postAlert(t, 'generic', intake, body, { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect(res.json.error.message, type).toContain('application/json (UTF-8)');
    }
    // UTF-8 said outright, in any spelling, is JSON as usual.
    const ok = await postAlert(t, 'generic', intake, body, {
      'content-type': 'Application/JSON; Charset="UTF-8"',
    });
    expect(ok.status).toBe(202);
    expect((await t.deps.db.select().from(reports)).length).toBe(before + 1);
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
    const apiComponent = await makeComponent(t.deps, { name: 'API' });
    const web = await makeComponent(t.deps, { name: 'Website' });
    await admin.post('/api/admin/alert-rules', {
      name: 'API critical',
      matchers: { severity: 'critical', service: 'api' },
      componentId: apiComponent.id,
      priority: 1,
      setStatus: 'partial_outage',
    });
    const catchAll = await admin.post('/api/admin/alert-rules', {
      name: 'Everything else critical',
      matchers: { severity: 'critical' },
      componentId: web.id,
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
    const filed = await postAlert(t, 'generic', intake, fire);
    expect(filed.json.reports[0]).toMatchObject({ outcome: 'filed', priority: 1 });
    const { report: row, events } = await report(filed.json.reports[0].reportId);
    expect(row.componentIds).toEqual([apiComponent.id]);
    expect(row.affected).toBe('API');
    expect(events[0].reason).toBe('Routed by the rule "API critical" to P1.');
    const status = async (id: string) =>
      (await t.deps.db.select().from(components).where(eq(components.id, id)))[0]!.status;
    expect(await status(apiComponent.id)).toBe('partial_outage');
    // The catch-all matches only what the first rule did not.
    const other = await postAlert(t, 'generic', intake, {
      ...fire,
      key: 'web-down',
      labels: { service: 'web' },
    });
    expect(other.json.reports[0].priority).toBe(2);
    expect(await status(web.id)).toBe('operational');

    const resolved = await postAlert(t, 'generic', intake, { ...fire, status: 'resolved' });
    expect(resolved.json.reports[0].outcome).toBe('resolved');
    expect(await status(apiComponent.id)).toBe('operational');
    // Firing again (a flap) puts the rule's status back on the same report.
    const flap = await postAlert(t, 'generic', intake, fire);
    expect(flap.json.reports[0]).toMatchObject({ outcome: 'refired', reportId: row.id });
    expect(await status(apiComponent.id)).toBe('partial_outage');
    await postAlert(t, 'generic', intake, { ...fire, status: 'resolved' });
  });

  it('a resolved alert leaves the component alone while an open incident holds it, or someone changed it', async () => {
    const db = await makeComponent(t.deps, { name: 'Database' });
    await admin.post('/api/admin/alert-rules', {
      name: 'DB',
      matchers: { service: 'db' },
      componentId: db.id,
      priority: 2,
      setStatus: 'degraded_performance',
    });
    const fire = { key: 'db-slow', status: 'firing', title: 'DB slow', labels: { service: 'db' } };
    await postAlert(t, 'generic', intake, fire);
    const { incident } = await makeIncident(t.deps, {
      priority: 2,
      components: [{ componentId: db.id, status: 'degraded_performance' }],
    });
    await postAlert(t, 'generic', intake, { ...fire, status: 'resolved' });
    const [c] = await t.deps.db.select().from(components).where(eq(components.id, db.id));
    expect(c!.status).toBe('degraded_performance');
    expect(incident.status).not.toBe('resolved');

    const cache = await makeComponent(t.deps, { name: 'Cache' });
    await admin.post('/api/admin/alert-rules', {
      name: 'Cache',
      matchers: { service: 'cache' },
      componentId: cache.id,
      priority: 2,
      setStatus: 'degraded_performance',
    });
    const cacheFire = {
      key: 'cache-slow',
      status: 'firing',
      title: 'Cache slow',
      labels: { service: 'cache' },
    };
    await postAlert(t, 'generic', intake, cacheFire);
    await setComponentStatus(t.deps, { componentId: cache.id, status: 'major_outage' }, testActor);
    await postAlert(t, 'generic', intake, { ...cacheFire, status: 'resolved' });
    const [c2] = await t.deps.db.select().from(components).where(eq(components.id, cache.id));
    expect(c2!.status).toBe('major_outage');
  });

  it('only a rule that says so declares, at its priority with its templated update; resolving tells the owner and never resolves', async () => {
    const checkout = await makeComponent(t.deps, { name: 'Checkout' });
    const rule = await admin.post('/api/admin/alert-rules', {
      name: 'Checkout down',
      matchers: { alertname: 'CheckoutDown' },
      componentId: checkout.id,
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
    const filed = await postAlert(t, 'generic', intake, fire);
    const { reportId, incidentId, priority } = filed.json.reports[0];
    expect(priority).toBe(1);
    expect(incidentId).toBeTruthy();
    const [inc] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incidentId));
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
    const [c] = await t.deps.db.select().from(components).where(eq(components.id, checkout.id));
    expect(c!.status).toBe('major_outage');
    // Nobody owns a declared-by-rule incident yet: the owner takes it, then hears of the resolve.
    await t.deps.db
      .update(incidents)
      .set({ ownerId: owner.id })
      .where(eq(incidents.id, incidentId));
    // Repeats do not declare again.
    const again = await postAlert(t, 'generic', intake, fire);
    expect(again.json.reports[0]).toMatchObject({ outcome: 'updated', incidentId });
    expect(
      await t.deps.db
        .select()
        .from(incidents)
        .where(eq(incidents.title, 'Checkout is unavailable')),
    ).toHaveLength(1);

    await postAlert(t, 'generic', intake, { ...fire, status: 'resolved' });
    const [still] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incidentId));
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
    const [c3] = await t.deps.db.select().from(components).where(eq(components.id, checkout.id));
    expect(c3!.status).toBe('major_outage');
  });

  it('an alert whose title spans lines still declares, with a one-line incident title', async () => {
    const search = await makeComponent(t.deps, { name: 'Search' });
    const rule = await admin.post('/api/admin/alert-rules', {
      name: 'Search down',
      matchers: { alertname: 'SearchDown' },
      componentId: search.id,
      priority: 1,
      declare: true,
      incidentTitle: '{alert}',
    });
    expect(rule.status).toBe(201);
    const filed = await postAlert(t, 'generic', intake, {
      key: 'search-down',
      status: 'firing',
      title: 'Search is down\r\n  on every node\nsince 14:00',
      labels: { alertname: 'SearchDown' },
    });
    const { incidentId } = filed.json.reports[0];
    expect(incidentId).toBeTruthy();
    const [inc] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incidentId));
    expect(inc!.title).toBe('Search is down on every node since 14:00');
  });

  it('a rule without `declare` never declares, whatever its priority', async () => {
    await admin.post('/api/admin/alert-rules', {
      name: 'P0 but triage first',
      matchers: { team: 'payments' },
      priority: 0,
    });
    const before = (await t.deps.db.select().from(incidents)).length;
    const res = await postAlert(t, 'generic', intake, {
      key: 'payments-p0',
      status: 'firing',
      title: 'Payments failing',
      labels: { team: 'payments' },
    });
    expect(res.json.reports[0]).toMatchObject({ priority: 0, incidentId: null });
    expect((await t.deps.db.select().from(incidents)).length).toBe(before);
  });

  it('routing rules refuse what cannot work, naming the field', async () => {
    const noComponent = await admin.post('/api/admin/alert-rules', {
      name: 'x',
      priority: 1,
      setStatus: 'major_outage',
    });
    expect(noComponent.status).toBe(422);
    expect(noComponent.json.error.fields).toHaveProperty('setStatus');
    const badTemplate = await admin.post('/api/admin/alert-rules', {
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
    const a = await admin.post('/api/admin/alert-rules', {
      name: 'A',
      matchers: { env: 'prod' },
      priority: 3,
    });
    const b = await admin.post('/api/admin/alert-rules', {
      name: 'B',
      matchers: { env: 'prod', tier: 'db' },
      priority: 1,
    });
    const labels = { env: 'prod', tier: 'db' };
    const first = await postAlert(t, 'generic', intake, {
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
    const second = await postAlert(t, 'generic', intake, {
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
    await admin.post('/api/admin/alert-rules', {
      name: 'P1s',
      matchers: { sev: 'page' },
      priority: 1,
    });
    const res = await postAlert(t, 'generic', intake, {
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
    const res = await postAlert(t, 'generic', intake, {
      key: 'decide-me',
      status: 'firing',
      title: 'Noise',
    });
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
    await postAlert(t, 'generic', intake, { key: 'decide-me', status: 'resolved', title: 'Noise' });
    const next = await postAlert(t, 'generic', intake, {
      key: 'decide-me',
      status: 'firing',
      title: 'Noise',
    });
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
      await postAlert(t, 'generic', intake, { key: 'quiet', status: 'firing', title: 'Quiet' });
    await postAlert(t, 'generic', intake, { key: 'quiet', status: 'resolved', title: 'Quiet' });
    expect(await counter()).toBe(before);
    const search = await makeComponent(t.deps, { name: 'Search' });
    await admin.post('/api/admin/alert-rules', {
      name: 'Search',
      matchers: { service: 'search' },
      componentId: search.id,
      priority: 2,
      setStatus: 'degraded_performance',
    });
    const afterSetup = await counter();
    await postAlert(t, 'generic', intake, {
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
    const res = await postAlert(t, 'generic', intake, {
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
    const filed = await postAlert(t, 'alertmanager', intake, { ...base, alerts: [a, b] });
    const id = filed.json.reports[0].reportId;
    // b was silenced: Alertmanager stops listing it; a resolves.
    const done = await postAlert(t, 'alertmanager', intake, {
      ...base,
      status: 'resolved',
      alerts: [{ ...a, status: 'resolved', endsAt: '2023-02-06T14:00:00Z' }],
    });
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
    const first = await postAlert(t, 'alertmanager', intake, {
      ...base,
      groupKey: '{}/{team="a"}:{alertname="Twice"}',
      alerts: [alert],
    });
    const second = await postAlert(t, 'alertmanager', intake, {
      ...base,
      groupKey: '{}/{severity="critical"}:{alertname="Twice"}',
      alerts: [alert],
    });
    expect(second.json.reports[0]).toMatchObject({
      outcome: 'updated',
      reportId: first.json.reports[0].reportId,
    });
    const resolved = await postAlert(t, 'alertmanager', intake, {
      ...base,
      status: 'resolved',
      groupKey: '{}/{severity="critical"}:{alertname="Twice"}',
      alerts: [{ ...alert, status: 'resolved', endsAt: '2023-02-06T14:00:00Z' }],
    });
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

  it('Grafana: a group it says still fires stays firing when the alerts it listed resolved (the rest cut from the list)', async () => {
    // Fingerprints of their own: the documented example's belong to another test's report.
    const own = (p: ReturnType<typeof grafanaPayload>) => ({
      ...p,
      groupKey: '{}/{grafana_folder="cut"}:{alertname="GrafanaCut"}',
      alerts: p.alerts.map((a, i) => ({ ...a, fingerprint: `grafana-cut-${i}` })),
    });
    const filed = await postAlert(t, 'grafana', intake, own(grafanaPayload()));
    expect(filed.json.reports[0].outcome).toBe('filed');
    const resolved = own(grafanaPayload('resolved'));
    const cut = await postAlert(t, 'grafana', intake, {
      ...resolved,
      status: 'firing',
      truncatedAlerts: 1,
      alerts: [resolved.alerts[0]],
    });
    expect(cut.json.reports[0]).toMatchObject({
      reportId: filed.json.reports[0].reportId,
      outcome: 'updated',
    });
    const done = await postAlert(t, 'grafana', intake, resolved);
    expect(done.json.reports[0].outcome).toBe('resolved');
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
    expect(out.outcome).toBe('filed');
    expect(out.reportId).not.toBe(reportId);
    expect(out.incidentId).toBeTruthy();
    expect(out.incidentId).not.toBe(incidentId);
  });

  it('an alert merged into an incident that was resolved files a new report when it fires again, while a flap before the all-clear stays on the merged one', async () => {
    const filed = await postAlert(t, 'generic', intake, {
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
    await postAlert(t, 'generic', intake, resolve);
    // The incident is still open: a flap belongs to it.
    expect((await postAlert(t, 'generic', intake, fire)).json.reports[0]).toMatchObject({
      reportId: id,
      outcome: 'refired',
    });
    await postAlert(t, 'generic', intake, resolve);
    expect(
      (await admin.post(`/api/admin/incidents/${incident.id}/resolve`, { notify: false })).status,
    ).toBe(200);
    const again = await postAlert(t, 'generic', intake, fire);
    expect(again.json.reports[0].outcome).toBe('filed');
    expect(again.json.reports[0].reportId).not.toBe(id);
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
    const generic = await postAlert(t, 'generic', intake, {
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
    const datadog = await postAlert(t, 'datadog', intake, {
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
    const grafana = await postAlert(t, 'grafana', intake, {
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
    const paged = await postAlert(t, 'pagerduty', intake, pd, {
      'x-pagerduty-signature': pagerdutySignature(PD_SECRET, pd),
    });
    expect(paged.status).toBe(202);
    const { report: p } = await report(paged.json.reports[0].reportId);
    expect(p.alertLabels.service).toHaveLength(10_000);
  });
});
