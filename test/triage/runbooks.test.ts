import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { openBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite, TEST_PASSWORD } from '../helpers/site.ts';

describe('runbooks per component', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let responder: ReturnType<typeof api>;
  let client: FormClient;
  beforeAll(async () => {
    t = await createTestContext({ env: { PUBLIC_URL: 'http://127.0.0.1' } });
    site = await startSite(t);
    responder = api(t, (await makeToken(t, 'responder')).secret);
    await makeUser(t, 'responder', 'oncall@example.com');
    client = new FormClient(site.base);
    await client.login('oncall@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('PUT stores Markdown, GET renders it sanitised, with history and the last reviewed date', async () => {
    const db = await makeComponent(t.deps, { name: 'Database' });
    // The runbook is written with PUT; another method is a 405 naming the ones it takes.
    const bad = await responder.post(`/api/admin/components/${db.id}/runbook`, { body: 'x' });
    expect(bad.status).toBe(405);
    const empty = await fetchJson('PUT', `/api/admin/components/${db.id}/runbook`, { body: ' ' });
    expect(empty.status).toBe(422);
    const extra = await fetchJson('PUT', `/api/admin/components/${db.id}/runbook`, {
      body: 'ok',
      reviewed: true,
    });
    expect(extra.status).toBe(422);
    const put = await fetchJson('PUT', `/api/admin/components/${db.id}/runbook`, {
      body: '# Recognise\nErrors on **checkout**.\n\n<script>alert(1)</script>\n\n[dash](javascript:alert(1)) [graphs](https://grafana.example.com)',
    });
    expect(put.status).toBe(200);
    await fetchJson('PUT', `/api/admin/components/${db.id}/runbook`, {
      body: '# Stop the bleeding\nRoll back the last deploy.',
    });
    const got = await responder.get(`/api/admin/components/${db.id}/runbook`);
    expect(got.json.runbook.html).toContain('<h1>Stop the bleeding</h1>');
    expect(got.json.runbook.stale).toBe(false);
    expect(got.json.history).toHaveLength(2);
    expect(got.json.history[1].body).toContain('<script>');
    t.clock.advance(91 * 86_400_000);
    expect((await responder.get(`/api/admin/components/${db.id}/runbook`)).json.runbook.stale).toBe(
      true,
    );
    const audit = await api(t, (await makeToken(t, 'admin')).secret).get(
      `/api/admin/audit?object_type=runbook&object_id=${db.id}`,
    );
    expect(audit.json.entries.map((e: { action: string }) => e.action).sort()).toEqual([
      'runbook.create',
      'runbook.update',
    ]);
  });

  it('renders no script or javascript: link from a runbook: typed HTML shows as text', async () => {
    const c = await makeComponent(t.deps, { name: 'Queue' });
    await fetchJson('PUT', `/api/admin/components/${c.id}/runbook`, {
      body: 'Look at <img src=x onerror=alert(1)> [here](javascript:alert(1)) and <script>x()</script>',
    });
    const got = await responder.get(`/api/admin/components/${c.id}/runbook`);
    expect(got.json.runbook.html).not.toMatch(/<script|<img|<[^>]*\son\w+=|javascript:alert/);
    expect(got.json.runbook.html).toContain('&lt;script&gt;x()&lt;/script&gt;');
  });

  it('keeps the words in angle brackets a runbook is written with', async () => {
    const c = await makeComponent(t.deps, { name: 'Cache' });
    await fetchJson('PUT', `/api/admin/components/${c.id}/runbook`, {
      body: 'Run `redis-cli -h <host>` then restart <service-name> on every node.',
    });
    const got = await responder.get(`/api/admin/components/${c.id}/runbook`);
    expect(got.json.runbook.html).toBe(
      '<p>Run <code>redis-cli -h &lt;host&gt;</code> then restart &lt;service-name&gt; on every node.</p>\n',
    );
  });

  it('shows every runbook on the declare form without JavaScript, open for the picked component, and on the incident page', async () => {
    const pay = await makeComponent(t.deps, { name: 'Payments' });
    await fetchJson('PUT', `/api/admin/components/${pay.id}/runbook`, {
      body: '## Stop the bleeding\nRoll back the last deploy of payments.',
    });
    const browser = await openBrowser();
    try {
      const ctx = await browser.newContext({ javaScriptEnabled: false });
      const page = await ctx.newPage();
      await page.goto(`${site.base}/login?next=/admin/incidents/new`);
      await page.getByLabel('Email').fill('oncall@example.com');
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${site.base}/admin/incidents/new`);
      const details = page.locator(`details[data-runbook-component="${pay.id}"]`);
      expect(await details.locator('summary').textContent()).toContain('Payments');
      await details.locator('summary').click();
      expect(await details.textContent()).toContain('Roll back the last deploy of payments.');
      await ctx.close();
    } finally {
      await browser.close();
    }
    const { incident } = await makeIncident(t.deps, {
      components: [{ componentId: pay.id, status: 'major_outage' }],
    });
    // The first test moved the clock past the session's lifetime: sign in afresh.
    await client.login('oncall@example.com');
    const inc = await client.get(`/admin/incidents/${incident.id}`);
    // A form shown again with Payments picked opens its runbook.
    await client.get('/admin/incidents/new');
    const again = await client.post('/admin/incidents/new', {
      title: '',
      priority: '1',
      [`component.${pay.id}`]: 'major_outage',
      body: 'x',
    });
    expect(again.res.status).toBe(422);
    expect(again.html).toMatch(new RegExp(`data-runbook-component="${pay.id}" open`));
    expect(inc.html).toContain('Runbooks for the affected components');
    expect(inc.html).toContain('Roll back the last deploy of payments.');
  });

  /** PUT is not in the shared api helper: the same call with a bearer token. */
  async function fetchJson(method: string, path: string, body: unknown) {
    const { secret } = await makeToken(t, 'responder', `rb-${Math.random()}`);
    const res = await t.app.request(path, {
      method,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    return { status: res.status, json };
  }
});
