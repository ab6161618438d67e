import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  incidentFollowers,
  outboxMessages,
  webhookDeliveries,
  webhooks,
} from '../../db/schema/index.ts';
import { changeIncidentPriority } from '../../server/domain/incidents/change-incident-priority.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';

// A priority change is the team's entry in the timeline ("Priority changed from P0 to P1", with
// the reason as its note): the public page leaves it out, and so must everything a visitor asked
// for on that page. Followers hear the incident's public updates, never its priority.
describe('a priority change reaches no follower of the incident', () => {
  let s: ServerContext;
  let smtp: SmtpSink;
  let rx: Receiver;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    rx = await startReceiver();
    s = await startTestServer({
      env: { SMTP_URL: smtp.url, WEBHOOK_ALLOW_PRIVATE: 'true' },
    });
  });
  afterAll(async () => {
    await s.close();
    await rx.close();
    await smtp.close();
  });

  /** A visitor follows by email (and confirms), another by webhook, on the public pages. */
  async function followBothWays(incidentId: string, email: string, url: string) {
    const byEmail = new FormClient(s.url);
    await byEmail.get(`/subscribe/incident/${incidentId}`);
    await byEmail.post(`/subscribe/incident/${incidentId}`, { via: 'email', email });
    await testWorker(s).drain();
    const confirmPath = linkPath(smtp.to(email)[0]!.parsed.text!, '/confirm/');
    const confirming = new FormClient(s.url);
    await confirming.get(confirmPath);
    expect((await confirming.post(confirmPath, {})).html).toContain('You follow this incident');
    const byHook = new FormClient(s.url);
    await byHook.get(`/subscribe/incident/${incidentId}`);
    expect((await byHook.post(`/subscribe/incident/${incidentId}`, { url })).res.status).toBe(200);
  }

  it('neither the email follower nor the webhook follower hears P0 to P1 and back; both hear the next update', async () => {
    const follower = 'fan@example.org';
    const { incident } = await makeIncident(s.deps, {
      title: 'Website is down',
      priority: 0,
      body: 'Nobody can load the website.',
    });
    // The team's own channel takes every priority, and the stakeholders' list is there too.
    await createWebhook(
      s.deps,
      {
        url: `${rx.url}/internal`,
        kind: 'slack',
        internal: true,
        priorities: [0, 1, 2, 3],
        allowPrivate: true,
      },
      testActor,
    );
    await makeConfirmedSubscriber(s.deps, 'cto@example.com', 'stakeholders');

    await followBothWays(incident.id, follower, `${rx.url}/follower`);
    smtp.clear();

    const hooks = createWebhookWorker(s.deps, { random: () => 0.5 });
    const toFollower = () => rx.received.filter((r) => r.url === '/hook/follower');
    s.clock.advance(60_000);
    await changeIncidentPriority(
      s.deps,
      { incidentId: incident.id, priority: 1, reason: 'Only the EU region is down.' },
      testActor,
    );
    s.clock.advance(60_000);
    await changeIncidentPriority(
      s.deps,
      { incidentId: incident.id, priority: 0, reason: 'The US region went down too.' },
      testActor,
    );
    await testWorker(s).drain();
    await hooks.runOnce();
    expect(smtp.to(follower)).toHaveLength(0);
    expect(toFollower()).toHaveLength(0);
    for (const m of smtp.received) expect(m.parsed.text).not.toContain('Priority changed');
    // Nothing was even queued for them: their delivery logs show nothing skipped either.
    const [hook] = await s.deps.db
      .select()
      .from(webhooks)
      .where(eq(webhooks.incidentId, incident.id));
    expect(
      await s.deps.db
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.webhookId, hook!.id)),
    ).toHaveLength(0);
    expect(
      (
        await s.deps.db.select().from(outboxMessages).where(eq(outboxMessages.toAddress, follower))
      ).filter((m) => m.kind === 'follow_update'),
    ).toHaveLength(0);

    // The next public update reaches both, saying impact and the update, never a priority.
    s.clock.advance(60_000);
    await postIncidentUpdate(
      s.deps,
      { incidentId: incident.id, status: 'identified', body: 'A bad deploy; rolling back.' },
      testActor,
    );
    await testWorker(s).drain();
    await hooks.runOnce();
    const mails = smtp.to(follower);
    expect(mails.map((m) => m.parsed.subject)).toEqual(['Major outage: Website is down']);
    expect(mails[0]!.parsed.text).toContain('A bad deploy; rolling back.');
    expect(mails[0]!.parsed.text).not.toContain('Priority');
    const got = toFollower().map((r) => JSON.parse(r.body));
    expect(got).toHaveLength(1);
    expect(got[0].incident.incident_updates[0].body).toBe('A bad deploy; rolling back.');
  });

  it('a priority change queued for followers before they were kept from it is skipped at send time', async () => {
    const follower = 'early@example.org';
    const { incident } = await makeIncident(s.deps, { title: 'API errors', priority: 1 });
    await followBothWays(incident.id, follower, `${rx.url}/early`);
    smtp.clear();
    const { updateId } = await changeIncidentPriority(
      s.deps,
      { incidentId: incident.id, priority: 0, reason: 'Every customer is hit.' },
      testActor,
    );
    // What the publishing transaction queued for followers before the rule.
    const [f] = await s.deps.db
      .select()
      .from(incidentFollowers)
      .where(eq(incidentFollowers.email, follower));
    const [w] = await s.deps.db.select().from(webhooks).where(eq(webhooks.incidentId, incident.id));
    const now = s.clock.now();
    await s.deps.db.insert(outboxMessages).values({
      id: `${updateId}-${f!.id}`,
      kind: 'follow_update',
      toAddress: follower,
      payload: { followerId: f!.id, updateId },
      nextAttemptAt: now,
      messageId: `<${updateId}.${f!.id}.follow@status.example.com>`,
      createdAt: now,
    });
    await s.deps.db.insert(webhookDeliveries).values({
      id: `early-${updateId}`,
      webhookId: w!.id,
      event: 'incident.updated',
      ref: { incidentId: incident.id, updateId },
      nextAttemptAt: now,
      createdAt: now,
    });
    await testWorker(s).drain();
    await createWebhookWorker(s.deps, { random: () => 0.5 }).runOnce();
    expect(smtp.to(follower)).toHaveLength(0);
    expect(rx.received.filter((r) => r.url === '/hook/early')).toHaveLength(0);
    const [mail] = await s.deps.db
      .select()
      .from(outboxMessages)
      .where(eq(outboxMessages.id, `${updateId}-${f!.id}`));
    expect(mail!.state).toBe('skipped');
    const [hook] = await s.deps.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.id, `early-${updateId}`));
    expect(hook!.state).toBe('skipped');
  });
});
