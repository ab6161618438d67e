import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, incidents, incidentUpdates, reports } from '../../db/schema/index.ts';
import { createApiToken } from '../../server/domain/auth/api-tokens.ts';
import { createUser } from '../../server/domain/users/create-user.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { saveRunbook } from '../../server/domain/runbooks/save-runbook.ts';
import { ForbiddenError } from '../../server/domain/shared/errors.ts';
import { api } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { FormClient, startSite, TEST_PASSWORD } from '../helpers/site.ts';
import { answers, postMultipart } from './helpers.ts';

describe('the viewer role reads everything internal and changes nothing', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let viewer: ReturnType<typeof api>;
  let viewerSecret: string;
  let browser: FormClient;
  beforeAll(async () => {
    t = await createTestContext({ env: { COMPANY_DOMAINS: 'acme.com' } });
    site = await startSite(t);
    const { secret } = await createApiToken(t.deps, { name: 'exec', role: 'viewer' }, testActor);
    viewerSecret = secret;
    viewer = api(t, secret);
    await createUser(
      t.deps,
      { email: 'ceo@acme.com', role: 'viewer', password: TEST_PASSWORD },
      testActor,
    );
    browser = new FormClient(site.base);
    await browser.login('ceo@acme.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('gets 403 on every admin API write, and the audit log stays as it was', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Checkout down' });
    const doc = (await viewer.get('/api/admin/openapi.json')).json;
    const writes: [string, string][] = [];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, object>))
      for (const method of Object.keys(methods))
        if (method !== 'get') writes.push([method, path.replace('/api/admin', '')]);
    expect(writes.length).toBeGreaterThan(30);
    const before = (await t.deps.db.select().from(auditLog)).length;
    for (const [method, path] of writes) {
      const url = `/api/admin${path.replace(/\{\w+\}/g, incident.id)}`;
      const res = await t.app.request(url, {
        method: method.toUpperCase(),
        headers: {
          authorization: `Bearer ${viewerSecret}`,
          'content-type': 'application/json',
        },
        body: '{}',
      });
      expect.soft(res.status, `${method.toUpperCase()} ${path}`).toBe(403);
    }
    expect((await t.deps.db.select().from(auditLog)).length).toBe(before);
  });

  it('domain verbs refuse a viewer even when called directly, without the route in front', async () => {
    const asViewer = {
      type: 'user' as const,
      id: 'v',
      label: 'ceo@acme.com',
      role: 'viewer' as const,
    };
    await expect(
      declareIncident(t.deps, { title: 'From a viewer', priority: 1, body: 'x' }, asViewer),
    ).rejects.toThrow('cannot change anything');
    const c = await makeComponent(t.deps, { name: 'Auth' });
    await expect(saveRunbook(t.deps, { componentId: c.id, body: 'x' }, asViewer)).rejects.toThrow(
      ForbiddenError,
    );
    const all = await t.deps.db.select().from(incidents);
    expect(all.map((i) => i.title)).not.toContain('From a viewer');
  });

  it('reads reports, runbooks and the internal incident view through the API', async () => {
    const c = await makeComponent(t.deps, { name: 'Billing' });
    expect((await viewer.get('/api/admin/reports?state=open')).status).toBe(200);
    expect((await viewer.get(`/api/admin/components/${c.id}/runbook`)).status).toBe(200);
    expect((await viewer.get('/api/admin/reports-budget')).status).toBe(200);
  });

  // Every admin form refusing a viewer is swept in test/web/csrf-sweep.test.ts.
  it('sees the internal view in the admin pages, is refused posting an update or a runbook, and can file a report', async () => {
    const { incident } = await makeIncident(t.deps, {
      title: 'Invoices late',
      internalNote: 'Support: offer a manual invoice.',
    });
    const page = await browser.get(`/admin/incidents/${incident.id}`);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('Support: offer a manual invoice.');
    expect(page.html).toContain('Support script');
    expect(page.html).not.toContain('Edit the support script');
    expect((await browser.get('/admin/reports')).res.status).toBe(200);
    expect((await browser.get('/admin/runbooks')).res.status).toBe(200);
    expect((await browser.get('/admin/incidents/new')).res.status).toBe(403);

    const updatesBefore = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    const post = await browser.post(`/admin/incidents/${incident.id}`, {
      _action: 'update',
      body: 'Viewer trying to post',
      nextIn: '30',
    });
    expect(post.res.status).toBe(403);
    expect(post.html).toContain('cannot change anything');
    const updatesAfter = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(updatesAfter).toHaveLength(updatesBefore.length);

    const c = await makeComponent(t.deps, { name: 'Search' });
    await browser.get(`/admin/runbooks/${c.id}`);
    const rb = await browser.post(`/admin/runbooks/${c.id}`, { body: 'Roll back.' });
    expect(rb.res.status).toBe(403);

    await browser.get('/report');
    const filed = await postMultipart(browser, '/report', answers());
    expect(filed.res.status).toBe(303);
    const mine = await t.deps.db
      .select()
      .from(reports)
      .where(eq(reports.reporterEmail, 'ceo@acme.com'));
    expect(mine).toHaveLength(1);
  });
});
