import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxMessages, webhooks } from '../../db/schema/index.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { followIncidentByWebhook } from '../../server/domain/webhooks/follow-incident.ts';
import { api, makeToken } from '../helpers/api.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { type Receiver, startReceiver } from './receiver.ts';

// During an incident the team's own channel may be the one that does not hear of it: the
// dashboard names every webhook or chat channel whose receiver keeps failing, to any staff, with
// the receiver's host only (a chat URL is a secret) and a link for admins.
describe('the dashboard names the channels that are not getting updates', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rx: Receiver;
  beforeAll(async () => {
    t = await createTestContext({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    site = await startSite(t);
    rx = await startReceiver();
  });
  afterAll(async () => {
    await rx.close();
    await site.close();
    await t.close();
  });

  it('a Slack channel refusing Herald shows on the dashboard after a minute, and goes once it takes the queue', async () => {
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    const added = await admin.post('/api/admin/webhooks', {
      url: `${rx.url}/T000/B000/secret-part`,
      kind: 'slack',
      allowPrivate: true,
    });
    expect(added.status).toBe(201);
    const id = (added.json as { webhook: { id: string } }).webhook.id;
    const lane = () => createWebhookWorker(t.deps, { random: () => 0.5, baseBackoffMs: 1000 });

    const boss = new FormClient(site.base);
    await boss.login((await makeUser(t, 'admin')).email);
    const rita = new FormClient(site.base);
    await rita.login((await makeUser(t, 'responder')).email);
    const dashboard = async (c: FormClient) => (await c.get('/admin')).html;

    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Checkout down' });
    rx.next({ status: 403, body: 'invalid_token' });
    expect(await lane().runOnce()).toBe(1);
    // A visitor follows the incident with a webhook that has gone away: theirs to fix, not the
    // team's, so it stays off the dashboard.
    await followIncidentByWebhook(t.deps, { incidentId: incident.id, url: `${rx.url}/visitor` });
    await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'Rolling back' }, testActor);
    rx.next({ status: 404, body: 'no such hook' });
    // Only the visitor's is due: the channel's update waits behind its failed head.
    expect(await lane().runOnce()).toBe(1);
    expect(rx.received.at(-1)).toMatchObject({ url: '/hook/visitor', status: 404 });
    // A failure a few seconds old is a retry in progress, not yet worth the alarm.
    expect(await dashboard(boss)).not.toContain('held-webhooks');

    t.clock.advance(61_000);
    const seen = await dashboard(boss);
    expect(seen).toContain('A webhook or chat channel is not getting updates.</strong>');
    expect(seen).toContain(`href="/admin/webhooks/${id}"`);
    expect(seen).toContain(`Slack channel at 127.0.0.1:${rx.port}`);
    expect(seen).toContain('1 failure, 2 deliveries wait');
    expect(seen).not.toContain('/visitor');
    expect(seen.match(/ at 127\.0\.0\.1:/g)).toHaveLength(1);
    expect(seen).toContain('Last failure: answered 403: invalid_token');
    expect(seen).not.toContain('secret-part');

    const told = await dashboard(rita);
    expect(told).toContain(`Slack channel at 127.0.0.1:${rx.port}`);
    expect(told).toContain('An admin can see to it.');
    expect(told).not.toContain(`/admin/webhooks/${id}`);
    expect(told).not.toContain('secret-part');

    // The receiver takes the new token (and the visitor's comes back): the queues go out and the
    // dashboard is quiet again.
    expect(await lane().runOnce()).toBe(3);
    expect(rx.received.at(-1)!.status).toBe(200);
    expect(await dashboard(boss)).not.toContain('held-webhooks');
  });

  it("a visitor's webhook that pauses emails no admin, and the log names its host, not its URL", async () => {
    await t.deps.db.delete(webhooks); // the first test's channels
    await makeUser(t, 'admin', 'no-noise@example.com');
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Slow search' });
    const { webhookId } = await followIncidentByWebhook(t.deps, {
      incidentId: incident.id,
      url: `${rx.url}/gone/s3cr3t`,
    });
    const logged: string[] = [];
    const log = { info: (m: string) => void logged.push(m), error: () => {}, debug: () => {} };
    const lane = () =>
      createWebhookWorker({ ...t.deps, log }, { random: () => 0.5, baseBackoffMs: 1000 });
    await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'Looking' }, testActor);
    for (let i = 0; i < 20; i++) {
      rx.next({ status: 410, body: 'gone' });
      expect(await lane().runOnce()).toBe(1);
      t.clock.advance(2 * 3600_000);
    }
    const [w] = await t.deps.db.select().from(webhooks).where(eq(webhooks.id, webhookId));
    expect(w).toMatchObject({ state: 'paused', consecutiveFailures: 20 });
    const mail = await t.deps.db
      .select()
      .from(outboxMessages)
      .where(eq(outboxMessages.toAddress, 'no-noise@example.com'));
    expect(JSON.stringify(mail.map((m) => m.payload))).not.toContain('paused');
    const pauses = logged.filter((l) => l.includes('webhooks: paused'));
    expect(pauses).toEqual([
      expect.stringContaining(`paused a visitor's webhook ${webhookId} at 127.0.0.1:${rx.port}`),
    ]);
    expect(pauses.join('')).not.toContain('s3cr3t');
  });
});
