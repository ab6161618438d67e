import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webhooks } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { api, makeToken } from '../helpers/api.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { useMailContext } from '../helpers/mail-context.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeUser } from '../helpers/site.ts';
import { type Receiver, startReceiver } from './receiver.ts';

// The admins learn that a webhook stopped getting updates from an email: it has to reach them
// through the relay like any other mail, say which webhook without giving away its URL (a chat
// URL is a secret), and carry the receiver's own words as text, never as markup.
describe("the admins' email about a paused webhook", () => {
  const ctx = useMailContext();
  let rx: Receiver;
  beforeEach(async () => {
    rx = await startReceiver();
    await ctx.t.deps.db.delete(webhooks);
  });
  afterEach(() => rx.close());

  it('reaches every admin through the relay, names the webhook by host, links to its page and escapes what the receiver said', async () => {
    const { t, smtp } = ctx;
    await makeUser(t, 'admin', 'first-admin@example.com');
    await makeUser(t, 'admin', 'second-admin@example.com');
    await makeUser(t, 'responder', 'responder@example.com');
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    const r = await admin.post('/api/admin/webhooks', {
      url: `${rx.url}/hooks/secret-path-token`,
      allowPrivate: true,
      events: ['incident.created', 'incident.updated'],
    });
    expect(r.status).toBe(201);
    const webhookId = (r.json as { webhook: { id: string } }).webhook.id;
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Checkout down' });
    await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'Still down' }, testActor);

    const lane = createWebhookWorker(t.deps, { random: () => 0.5, baseBackoffMs: 1000 });
    for (let i = 0; i < 20; i++) {
      rx.next({ status: 503, body: '<b>maintenance</b> & back soon' });
      expect(await lane.runOnce()).toBe(1);
      t.clock.advance(2 * 3600_000);
    }

    await testWorker(t).drain();
    await smtp.until((m) => m.filter((x) => x.parsed.subject?.includes('paused')).length >= 2);
    const paused = smtp.received.filter((m) => m.parsed.subject?.includes('webhook was paused'));
    expect(paused.flatMap((m) => m.to).sort()).toEqual([
      'first-admin@example.com',
      'second-admin@example.com',
    ]);
    const mail = paused[0]!;
    expect(mail.parsed.subject).toContain('a webhook was paused after 20 failures');
    const text = mail.parsed.text!;
    expect(text).toContain(`Herald paused the webhook at 127.0.0.1:${rx.port}`);
    expect(text).toContain('answered 503: <b>maintenance</b> & back soon');
    expect(text).toContain('Nothing is lost');
    expect(text).toContain(`https://status.example.com/admin/webhooks/${webhookId}`);
    const html = mail.parsed.html!;
    expect(html).toContain('&lt;b&gt;maintenance&lt;/b&gt; &amp; back soon');
    expect(html).not.toContain('<b>maintenance</b>');
    expect(html).toContain(`href="https://status.example.com/admin/webhooks/${webhookId}"`);
    // The URL's path (where a chat webhook keeps its secret) is in no part of the mail.
    expect(mail.raw).not.toContain('secret-path-token');
  });
});
