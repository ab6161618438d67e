import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { testActor } from '../helpers/deps.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';

// The audience sign-in form sends mail to any address at a member domain. One inbox gets at
// most 5 links an hour, but nothing limits one client asking for many inboxes: every made-up
// address at acme.com is a mail (and a bounce) from the operator's relay. The subscribe form,
// which also mails whoever is typed, takes 20 requests per client per 10 minutes.

describe('one client and the audience sign-in form', () => {
  let smtp: SmtpSink;
  let s: ServerContext;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({ env: { SMTP_URL: smtp.url, TRUST_PROXY: 'true' } });
    await createAudience(
      s.deps,
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      testActor,
    );
  });
  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });

  it('cannot make Herald mail sign-in links to any number of addresses at a member domain', async () => {
    const c = new FormClient(s.url);
    await c.get('/a/acme-corp/sign-in');
    for (let i = 0; i < 60; i++) {
      const r = await c.post('/a/acme-corp/sign-in', { email: `nobody-${i}@acme.com` });
      expect([303, 429]).toContain(r.res.status);
    }
    await testWorker(s).drain();
    const sent = new Set(smtp.received.flatMap((m) => m.to)).size;
    // As many as the subscribe form would send for one client in ten minutes, at most.
    expect(sent, `${sent} addresses mailed on one client's word`).toBeLessThanOrEqual(20);
  });

  it('counts requests for addresses that do not belong, so the limit never tells who does', async () => {
    // Another client (behind the trusted proxy, its address is X-Forwarded-For's).
    const c = new FormClient(s.url, { 'x-forwarded-for': '203.0.113.9' });
    await c.get('/a/acme-corp/sign-in');
    for (let i = 0; i < 20; i++) {
      const r = await c.post('/a/acme-corp/sign-in', { email: `someone-${i}@other.example` });
      expect(r.res.status).toBe(303);
    }
    smtp.clear();
    const member = await c.post('/a/acme-corp/sign-in', { email: 'ops@acme.com' });
    expect(member.res.status).toBe(429);
    expect(member.html).toContain('Too many requests');
    await testWorker(s).drain();
    expect(smtp.to('ops@acme.com')).toHaveLength(0);
  });
});
