import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { testActor } from '../helpers/deps.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { HostClient } from '../helpers/host-client.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { api, makeToken } from '../helpers/api.ts';
import { makeIncident } from '../helpers/factories.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

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

  /**
   * The member's browser on the audience's host asks for a sign-in link there, opens it where it
   * points and presses the button there; returns that browser and the link.
   */
  async function signInOnHost(email: string) {
    const onHost = new HostClient(s.url, ACME_HOST);
    await onHost.get('/a/acme-corp/sign-in');
    const asked = await onHost.post('/a/acme-corp/sign-in', { email });
    expect(asked.status).toBe(303);
    await testWorker(s).drain();
    const text = smtp.to(email).at(-1)!.parsed.text!;
    const link = new URL(/https?:\/\/\S+\/a\/acme-corp\/sign-in\/[A-Za-z0-9_-]+/.exec(text)![0]);
    const where = link.hostname === ACME_HOST ? onHost : new HostClient(s.url, link.host);
    await where.get(link.pathname);
    const pressed = await where.post(link.pathname, {});
    expect(pressed.status).toBe(303);
    return { onHost, link };
  }

  it("opens the audience's page on its host name after the emailed sign-in link asked for there", async () => {
    // The member's browser on the audience's host: the page asks them to sign in.
    expect((await new HostClient(s.url, ACME_HOST).get('/')).status).toBe(404);
    const { onHost, link } = await signInOnHost('ops@acme.com');
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

  it("leads an audience member's incident mail to the incident on the audience's host name, where they are signed in", async () => {
    const admin = api(s, (await makeToken(s, 'admin')).secret);
    const list = await admin.post('/api/admin/lists', {
      name: 'Acme incident mail',
      audience: 'acme-corp',
      priorities: [0, 1],
    });
    expect(list.status).toBe(201);
    await makeConfirmedSubscriber(s.deps, 'oncall@acme.com', list.json.list.slug as string);
    const { onHost } = await signInOnHost('oncall@acme.com');
    const { incident } = await makeIncident(s.deps, { priority: 1, title: 'Acme exports stuck' });
    await testWorker(s).drain();
    const mail = smtp
      .to('oncall@acme.com')
      .find((m) => m.parsed.subject?.includes('Acme exports stuck'))!;
    const details = new URL(/Details: (\S+)/.exec(mail.parsed.text!)![1]!);
    expect(details.origin).toBe(`https://${ACME_HOST}`);
    expect(details.pathname).toBe(`/a/acme-corp/incidents/${incident.id}`);
    // Opened on that host, the member's own sign-in there shows it.
    const page = await onHost.get(details.pathname);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Acme exports stuck');
  });
});
