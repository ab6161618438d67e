import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// Support staff follow the support script word for word: the page it sends customers to must
// show them the incident. An incident for chosen audiences only is a 404 on the public page.
describe('the support script of an incident for chosen audiences only', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let admin: ReturnType<typeof api>;

  /** Every link to an incident page the text holds. */
  const incidentLinks = (text: string) => [
    ...text.matchAll(/https?:\/\/[^\s]*?\/incidents\/[\w-]+/g),
  ];
  const script = async (id: string): Promise<string> => {
    const res = await admin.get(`/api/admin/incidents/${id}/support-script`);
    expect(res.status).toBe(200);
    return res.json.supportScript.body;
  };
  const declare = async (title: string, audiences: string[]) => {
    const res = await admin.post('/api/admin/incidents', {
      title,
      priority: 1,
      body: 'Card payments fail.',
      audiences,
    });
    expect(res.status).toBe(201);
    return res.json.incident.id as string;
  };

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
    for (const [name, slug] of [
      ['Globex', 'globex'],
      ['Initech', 'initech'],
    ])
      expect(
        (await admin.post('/api/admin/audiences', { name, slug, memberDomains: [`${slug}.com`] }))
          .status,
      ).toBe(201);
    await makeConfirmedSubscriber(t.deps, 'sales@acme.com', 'stakeholders');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });
  beforeEach(() => smtp.clear());

  it("for one audience, links that audience's incident page, in the script and the staff mail", async () => {
    const id = await declare('Checkout down for Globex', ['globex']);
    const links = incidentLinks(await script(id)).map((m) => new URL(m[0]).pathname);
    expect(links).toEqual([`/a/globex/incidents/${id}`]);
    await testWorker(t).drain();
    const mail = smtp.to('sales@acme.com').at(-1)!.parsed.text!;
    expect(mail).toContain('SUPPORT SCRIPT');
    // The script's own line; the staff mail's details link goes to the admin page.
    const line = mail.split('\n').find((l) => l.includes('Where to send people'))!;
    expect(incidentLinks(line).map((m) => new URL(m[0]).pathname)).toEqual([
      `/a/globex/incidents/${id}`,
    ]);
  });

  it("the all-clear's closing script links the audience's page too", async () => {
    const id = await declare('Invoices late for Globex', ['globex']);
    const res = await admin.post(`/api/admin/incidents/${id}/resolve`, { body: 'Fixed.' });
    expect(res.status).toBe(200);
    const closing = await script(id);
    expect(closing).toContain('It is resolved');
    expect(incidentLinks(closing).map((m) => new URL(m[0]).pathname)).toEqual([
      `/a/globex/incidents/${id}`,
    ]);
  });

  it('for several audiences, links no page and says to send each customer their own', async () => {
    const id = await declare('Checkout down for two customers', ['globex', 'initech']);
    const body = await script(id);
    expect(incidentLinks(body)).toEqual([]);
    expect(body).toContain('not on the public status page');
    const res = await admin.post(`/api/admin/incidents/${id}/resolve`, { body: 'Fixed.' });
    expect(res.status).toBe(200);
    const closing = await script(id);
    expect(incidentLinks(closing)).toEqual([]);
    expect(closing).toContain('not on the public status page');
  });
});
