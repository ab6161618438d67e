import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(failed.html).toContain('The test did not get through: answered 500: down.');
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
