import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('the support script of an incident', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: Awaited<ReturnType<typeof startSite>>;
  let secret: string;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    site = await startSite(t);
    secret = (await makeToken(t, 'responder')).secret;
    await makeConfirmedSubscriber(t.deps, 'sales@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  const put = (id: string, body: unknown) =>
    t.app.request(`/api/admin/incidents/${id}/support-script`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('starts from the template, is editable, and goes into internal-list emails only', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Checkout down', priority: 1 });
    await testWorker(t).drain();
    const first = smtp.to('sales@acme.com')[0]!;
    expect(first.parsed.text).toContain('SUPPORT SCRIPT');
    expect(first.parsed.text).toContain('We know about it: Checkout down.');
    expect(smtp.to('customer@example.org')[0]!.parsed.text).not.toContain('SUPPORT SCRIPT');

    expect((await put(incident.id, { body: '' })).status).toBe(422);
    expect((await put(incident.id, { body: 'x', extra: 1 })).status).toBe(422);
    const ok = await put(incident.id, {
      body: 'Say: card payments fail; offer invoice payment. Do not promise a time.',
    });
    expect(ok.status).toBe(200);
    smtp.clear();
    await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'Still on it.' }, testActor);
    await testWorker(t).drain();
    expect(smtp.to('sales@acme.com')[0]!.parsed.text).toContain('offer invoice payment');
    expect(smtp.to('customer@example.org')[0]!.parsed.text).not.toContain('invoice payment');

    await makeUser(t, 'responder', 'pm@acme.com');
    const c = new FormClient(site.base);
    await c.login('pm@acme.com');
    const page = await c.get(`/admin/incidents/${incident.id}`);
    expect(page.html).toContain('offer invoice payment');
    const pub = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(pub).not.toContain('offer invoice payment');
    await c.get(`/admin/incidents/${incident.id}/support-script`);
    const saved = await c.post(`/admin/incidents/${incident.id}/support-script`, {
      body: 'Say: fixed for most; refunds come automatically.',
    });
    expect(saved.res.status).toBe(303);
    expect((await c.get(`/admin/incidents/${incident.id}`)).html).toContain(
      'refunds come automatically',
    );
  });
});
