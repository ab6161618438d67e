import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhooks } from '../../db/schema/index.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser } from '../helpers/site.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { type Receiver, startReceiver } from './receiver.ts';

describe('webhook admin pages', () => {
  let s: ServerContext;
  let rx: Receiver;
  let client: FormClient;

  beforeAll(async () => {
    s = await startTestServer();
    rx = await startReceiver();
    const admin = await makeUser(s, 'admin');
    client = new FormClient(s.url);
    await client.login(admin.email);
  });
  afterAll(async () => {
    await rx.close();
    await s.close();
  });

  it('refuses a private address with a clear message and keeps what was typed', async () => {
    await client.get('/admin/webhooks');
    const { res, html } = await client.post('/admin/webhooks', {
      url: 'http://192.168.1.10/hook',
      kind: 'slack',
    });
    expect(res.status).toBe(422);
    expect(html).toContain('points at 192.168.1.10, a loopback or private address');
    expect(html).toContain('value="http://192.168.1.10/hook"');
    expect(html).toMatch(/value="slack" checked/);
    const ftp = await client.post('/admin/webhooks', { url: 'ftp://example.com/x' });
    expect(ftp.res.status).toBe(422);
    expect(ftp.html).toContain('must start with http:// or https://');
  });

  it('adds a webhook, shows the secret once, sends a test and lists the response code', async () => {
    await client.get('/admin/webhooks');
    const { res, html } = await client.post('/admin/webhooks', {
      url: rx.url,
      kind: 'webhook',
      allowPrivate: 'on',
      priorities: ['0', '1'],
    });
    expect(res.status).toBe(200);
    const secret = /<pre class="secret">(whsec_[^<]+)<\/pre>/.exec(html)?.[1];
    expect(secret).toBeTruthy();
    const id = /href="\/admin\/webhooks\/([^"]+)"/.exec(html)![1]!;
    const list = await client.get('/admin/webhooks');
    expect(list.html).not.toContain(secret!);
    expect(list.html).toContain(rx.url);

    await client.get(`/admin/webhooks/${id}`);
    const sent = await client.post(`/admin/webhooks/${id}`, { _action: 'test' });
    expect(sent.res.status).toBe(303);
    const page = await client.get(sent.res.headers.get('location')!);
    expect(page.html).toContain('Test delivered: the receiver answered 200.');
    expect(page.html).toMatch(/<td>test<\/td>\s*<td>sent<\/td>\s*<td>1<\/td>\s*<td>200<\/td>/);
    expect(rx.received.at(-1)!.headers['x-herald-event']).toBe('test');

    rx.next({ status: 500, body: 'down' });
    const failed = await client.post(`/admin/webhooks/${id}`, { _action: 'test' });
    expect(failed.res.status).toBe(422);
    expect(failed.html).toContain(
      'The test did not get through: answered 500: down (a test is not sent again).',
    );
  });

  it('a paused webhook’s page offers to resume its queue or drop it', async () => {
    const pausedHook = async () => {
      const { webhook } = await createWebhook(
        s.deps,
        { url: rx.url, allowPrivate: true, events: ['incident.created'] },
        testActor,
      );
      await s.deps.db
        .update(webhooks)
        .set({ state: 'paused', pausedAt: new Date(), consecutiveFailures: 20 })
        .where(eq(webhooks.id, webhook.id));
      return webhook.id;
    };
    const dropId = await pausedHook();
    const resumeId = await pausedHook();
    await makeIncident(s.deps, { priority: 0, title: 'Queued while paused' });

    const page = await client.get(`/admin/webhooks/${dropId}`);
    expect(page.html).toContain('1 delivery waits, in order');
    expect(page.html).toContain('Resume and send the 1 queued');
    const dropped = await client.post(`/admin/webhooks/${dropId}`, { _action: 'drop-queue' });
    expect(dropped.res.status).toBe(303);
    expect((await client.get(dropped.res.headers.get('location')!)).html).toContain(
      'Dropped 1 delivery that waited.',
    );

    await client.get(`/admin/webhooks/${resumeId}`);
    const resumed = await client.post(`/admin/webhooks/${resumeId}`, { _action: 'resume' });
    expect(resumed.res.status).toBe(303);
    const after = await client.get(resumed.res.headers.get('location')!);
    expect(after.html).toContain('Resumed: its queue goes out now, in order.');
    expect(after.html).not.toContain('Resume and send');
    // Resuming twice is refused, with the page kept.
    const again = await client.post(`/admin/webhooks/${resumeId}`, { _action: 'resume' });
    expect(again.res.status).toBe(409);
    expect(again.html).toContain('This webhook is not paused.');
  });

  it('offers the maintenance event and adds a chat channel that takes only it', async () => {
    const form = await client.get('/admin/webhooks');
    expect(form.html).toMatch(/name="events" value="maintenance"/);
    expect(form.html).toContain('Maintenance scheduled, started, extended or completed');
    const { res, html } = await client.post('/admin/webhooks', {
      url: `${rx.url}/maintenance`,
      kind: 'slack',
      events: ['maintenance'],
      allowPrivate: 'on',
    });
    expect(res.status).toBe(200);
    expect(html).toContain('<pre class="secret">whsec_');
    const list = await client.get('/admin/webhooks');
    expect(list.html).toMatch(/<td>slack<\/td>\s*<td>maintenance<\/td>/);
  });

  it('refuses an event that does not exist and keeps what was ticked', async () => {
    await client.get('/admin/webhooks');
    const { res, html } = await client.post('/admin/webhooks', {
      url: `${rx.url}/x`,
      events: ['maintenance', 'maintenance.cancelled'],
      allowPrivate: 'on',
    });
    expect(res.status).toBe(422);
    expect(html).toMatch(/value="maintenance" checked/);
  });
});
