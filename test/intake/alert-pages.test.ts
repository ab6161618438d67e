import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRules, apiTokens } from '../../db/schema/index.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { alertmanagerPayload } from './fixtures.ts';
import { intakeToken, postAlert } from './helpers.ts';

// The admin pages of alerts in, without JavaScript: tokens, rules, and the report of an alert.
describe('alert admin pages', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let admin: FormClient;
  let responder: FormClient;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    await makeUser(t, 'admin', 'ada@example.com');
    await makeUser(t, 'responder', 'rita@example.com');
    admin = new FormClient(site.base);
    await admin.login('ada@example.com');
    responder = new FormClient(site.base);
    await responder.login('rita@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('an admin makes an intake token on the tokens page', async () => {
    await admin.get('/admin/tokens');
    const { res, html } = await admin.post('/admin/tokens', {
      _action: 'create',
      name: 'prometheus',
      role: 'intake',
    });
    expect(res.status).toBe(200);
    expect(html).toContain('/api/intake/generic');
    const [row] = await t.deps.db.select().from(apiTokens).where(eq(apiTokens.name, 'prometheus'));
    expect(row!.role).toBe('intake');
  });

  it('an admin adds, moves and removes rules; a bad matcher line is named and what was typed is kept', async () => {
    const api = await makeComponent(t.deps, { name: 'API' });
    await admin.get('/admin/alert-rules');
    const bad = await admin.post('/admin/alert-rules', {
      _action: 'create',
      name: 'API critical',
      matchers: 'severity=critical\nservice api',
      componentId: api.id,
      priority: '1',
      setStatus: 'partial_outage',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('line 2 is not label=value');
    expect(bad.html).toContain('service api</textarea>');
    const ok = await admin.post('/admin/alert-rules', {
      _action: 'create',
      name: 'API critical',
      matchers: 'severity=critical\nservice=api',
      componentId: api.id,
      priority: '1',
      setStatus: 'partial_outage',
    });
    expect(ok.res.status).toBe(303);
    await admin.post('/admin/alert-rules', {
      _action: 'create',
      name: 'Catch-all',
      matchers: '',
      priority: '3',
      declare: 'on',
    });
    const page = await admin.get('/admin/alert-rules');
    expect(page.html).toContain('severity=critical');
    expect(page.html).toContain('declares the incident');
    const rows = await t.deps.db.select().from(alertRules);
    const catchAll = rows.find((r) => r.name === 'Catch-all')!;
    expect(catchAll).toMatchObject({ position: 2, declare: true, matchers: {} });
    await admin.post('/admin/alert-rules', { _action: 'move', id: catchAll.id, position: '1' });
    const moved = await t.deps.db.select().from(alertRules).where(eq(alertRules.id, catchAll.id));
    expect(moved[0]!.position).toBe(1);
    await admin.post('/admin/alert-rules', { _action: 'delete', id: catchAll.id });
    expect(await t.deps.db.select().from(alertRules)).toHaveLength(1);
  });

  it('a responder reads the rules but cannot change them', async () => {
    const page = await responder.get('/admin/alert-rules');
    expect(page.res.status).toBe(200);
    expect(page.html).not.toContain('Add the rule');
    const before = await t.deps.db.select().from(alertRules);
    const { res } = await responder.post('/admin/alert-rules', {
      _action: 'create',
      name: 'sneaky',
      priority: '0',
      declare: 'on',
    });
    expect(res.status).toBe(403);
    expect(await t.deps.db.select().from(alertRules)).toEqual(before);
  });

  it('the report of an alert shows its source, labels, alerts and raw payload, escaped', async () => {
    const token = await intakeToken(t);
    const payload = alertmanagerPayload();
    payload.alerts[0]!.annotations.summary = '<script>alert(1)</script> disk';
    payload.alerts[0]!.generatorURL = 'javascript:alert(1)';
    const res = await postAlert(t, 'alertmanager', token, {
      ...payload,
      extra: 'unknown-field-kept',
    });
    const id = res.json.reports[0].reportId;
    const { html } = await responder.get(`/admin/reports/${id}`);
    expect(html).toContain('Alert from alertmanager');
    expect(html).toContain('Still firing at the source.');
    expect(html).toContain('severity=critical');
    expect(html).toContain('unknown-field-kept');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; disk');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('href="http://prometheus.example.org:9093"');
    const queue = await responder.get('/admin/reports');
    expect(queue.html).toContain('Alert (alertmanager)');
    expect(queue.html).toContain('Firing · 1 notification');
  });
});
