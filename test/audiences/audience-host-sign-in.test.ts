import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { testActor } from '../helpers/deps.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { HostClient } from '../helpers/host-client.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';

// docs/audiences.md, "Its own host name": with AUDIENCE_HOSTS the audience's page is `/` of its
// own host name, and "sign-in cookies are per host, so members sign in on that host". Each
// client below is a browser on one host name, keeping that host's cookies, as browsers do.

describe("a member signs in on the audience's own host name", () => {
  let smtp: SmtpSink;
  let s: ServerContext;
  const ACME_HOST = 'status.acme-corp.test';

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({
      env: { SMTP_URL: smtp.url, AUDIENCE_HOSTS: `${ACME_HOST}=acme-corp` },
    });
    await createAudience(
      s.deps,
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      testActor,
    );
    await createAudience(
      s.deps,
      { name: 'Globex', slug: 'globex', memberDomains: ['globex.com'] },
      testActor,
    );
  });
  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });

  it("opens the audience's page on its host name after the emailed sign-in link asked for there", async () => {
    // The member's browser on the audience's host: the page asks them to sign in.
    const onHost = new HostClient(s.url, ACME_HOST);
    expect((await onHost.get('/')).status).toBe(404);
    await onHost.get('/a/acme-corp/sign-in');
    const asked = await onHost.post('/a/acme-corp/sign-in', { email: 'ops@acme.com' });
    expect(asked.status).toBe(303);
    await testWorker(s).drain();
    const text = smtp.to('ops@acme.com').at(-1)!.parsed.text!;
    const link = new URL(/https?:\/\/\S+\/a\/acme-corp\/sign-in\/[A-Za-z0-9_-]+/.exec(text)![0]);
    // The browser opens the link where it points and presses the button there.
    const where = link.hostname === ACME_HOST ? onHost : new HostClient(s.url, link.host);
    await where.get(link.pathname);
    const pressed = await where.post(link.pathname, {});
    expect(pressed.status).toBe(303);
    // Back on the audience's host name, the member is signed in.
    const page = await onHost.get('/');
    expect(
      { host: link.hostname, status: page.status },
      'the sign-in link should sign the member in on the host name it was asked on',
    ).toEqual({ host: ACME_HOST, status: 200 });
    expect(page.html).toContain('Acme Corp');
  });

  it("leads a link asked for another audience on Acme's host name to the public host", async () => {
    // Acme's host name serves Acme: its cookie would open nothing of Globex's there.
    const onHost = new HostClient(s.url, ACME_HOST);
    await onHost.get('/a/globex/sign-in');
    expect((await onHost.post('/a/globex/sign-in', { email: 'ops@globex.com' })).status).toBe(303);
    await testWorker(s).drain();
    const text = smtp.to('ops@globex.com').at(-1)!.parsed.text!;
    const link = new URL(/https?:\/\/\S+\/a\/globex\/sign-in\/[A-Za-z0-9_-]+/.exec(text)![0]);
    expect(link.origin).toBe(new URL(s.deps.config.publicUrl).origin);
  });
});
