import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribers } from '../../db/schema/index.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

/** The HTML part's small line above the title ("MAJOR OUTAGE · INVESTIGATING"), as read. */
function badgeLine(html: string): string {
  const m = /<p\s+style="margin:0 0 4px;font-size:13px[^>]*>([\s\S]*?)<\/p>/.exec(html);
  if (!m) throw new Error('no badge line in the email');
  return m[1]!
    .replace(/&middot;/g, '·')
    .replace(/\s+/g, ' ')
    .trim();
}

// The all-clear's subject says "Resolved: Website is down"; its first line said "Major outage:
// Website is down" above "Status: Resolved", as if the outage went on. Public readers read the
// subject's words at the top; the team keeps its priority there.
describe('the all-clear email opens with what its subject says', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
    await makeConfirmedSubscriber(t.deps, 'kunde@example.de', 'customers');
    await t.deps.db
      .update(subscribers)
      .set({ language: 'de' })
      .where(eq(subscribers.email, 'kunde@example.de'));
    await makeConfirmedSubscriber(t.deps, 'cto@acme.com', 'stakeholders');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('public readers read "Resolved: Website is down" at the top, in their language; the team its priority', async () => {
    const { incident } = await makeIncident(t.deps, {
      title: 'Website is down',
      priority: 0,
      impact: 'critical',
      body: 'Nobody can load the website.',
    });
    await testWorker(t).drain();
    const [update] = smtp.to('customer@example.org');
    expect(update!.parsed.text!.split('\n')[0]).toBe('Major outage: Website is down');
    expect(badgeLine(update!.parsed.html!)).toBe('MAJOR OUTAGE · INVESTIGATING');
    smtp.clear();

    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Back up.' }, testActor);
    await testWorker(t).drain();
    const [en] = smtp.to('customer@example.org');
    expect(en!.parsed.subject).toBe('Resolved: Website is down');
    const lines = en!.parsed.text!.split('\n');
    expect(lines.slice(0, 2)).toEqual(['Resolved: Website is down', 'Status: Resolved']);
    expect(en!.parsed.text).not.toContain('Major outage');
    expect(badgeLine(en!.parsed.html!)).toBe('RESOLVED');
    expect(en!.parsed.html).not.toMatch(/major outage/i);

    const [de] = smtp.to('kunde@example.de');
    expect(de!.parsed.subject).toBe('Behoben: Website is down');
    expect(de!.parsed.text!.split('\n')[0]).toBe('Behoben: Website is down');
    expect(badgeLine(de!.parsed.html!)).toBe('BEHOBEN');

    const [staff] = smtp.to('cto@acme.com');
    expect(staff!.parsed.subject).toBe('PRIORITY 0 ISSUE RESOLVED: WEBSITE IS DOWN');
    expect(staff!.parsed.text!.split('\n')[0]).toBe('PRIORITY 0: Website is down');
    expect(badgeLine(staff!.parsed.html!)).toBe('PRIORITY 0 · RESOLVED');
  });
});
