import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormClient, makeUser } from '../helpers/site.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { type Receiver, startReceiver } from './receiver.ts';

describe('the webhook admin form and the maintenance event', () => {
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
