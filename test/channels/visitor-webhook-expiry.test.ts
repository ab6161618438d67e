import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import { createWebhookWorker, postWebhook } from '../../server/delivery/webhook-channel.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { followIncidentByWebhook } from '../../server/domain/webhooks/follow-incident.ts';
import { signUpPublicWebhook } from '../../server/domain/webhooks/public-signup.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { type Receiver, startReceiver } from './receiver.ts';

// A paused webhook keeps queueing every event. A visitor's (a follower of one incident, a public
// sign-up) can only be fixed by its owner, so one whose receiver is gone for good is removed
// after a month paused, with its queue; the team's own webhook is kept until an admin decides.
describe("visitors' webhooks paused for a month", () => {
  let t: TestContext;
  let rx: Receiver;
  beforeAll(async () => {
    t = await createTestContext({
      env: { WEBHOOK_ALLOW_PRIVATE: 'true', PUBLIC_WEBHOOK_SIGNUP: 'true' },
    });
    rx = await startReceiver();
  });
  afterAll(async () => {
    await rx.close();
    await t.close();
  });

  it('are removed with their queue and audited; the team’s paused webhook keeps its queue', async () => {
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    const team = await admin.post('/api/admin/webhooks', {
      url: `${rx.url}/team`,
      allowPrivate: true,
      events: ['incident.updated'],
    });
    expect(team.status).toBe(201);
    const teamId = (team.json as { webhook: { id: string } }).webhook.id;
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Down' });
    const { webhookId: followerId } = await followIncidentByWebhook(t.deps, {
      incidentId: incident.id,
      url: `${rx.url}/follower`,
    });
    // Signed up while its receiver answered the test; it goes away afterwards.
    const { webhookId: signupId } = await signUpPublicWebhook(
      t.deps,
      { url: `${rx.url}/signup`, events: ['incident.updated'] },
      (req) => postWebhook(req, t.clock.now(), { timeoutMs: 2000, maxBytes: 1024, event: 'test' }),
    );
    await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'Looking' }, testActor);

    // Every receiver is gone: 20 failures in a row pause all three.
    const lane = () => createWebhookWorker(t.deps, { random: () => 0.5, baseBackoffMs: 1000 });
    for (let i = 0; i < 20; i++) {
      for (let k = 0; k < 3; k++) rx.next({ status: 410, body: 'gone' });
      expect(await lane().runOnce()).toBe(3);
      t.clock.advance(2 * 3600_000);
    }
    const state = async (id: string) =>
      (await t.deps.db.select().from(webhooks).where(eq(webhooks.id, id)))[0]?.state ?? 'removed';
    expect([await state(teamId), await state(followerId), await state(signupId)]).toEqual([
      'paused',
      'paused',
      'paused',
    ]);
    const queued = async (id: string) =>
      (await t.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id)))
        .length;

    const logs: string[] = [];
    const log = { info: (m: string) => void logs.push(m), error: () => {}, debug: () => {} };
    const scheduler = () => createScheduler({ ...t.deps, log });
    // Paused for about a day and a half: nothing is removed.
    expect((await scheduler().runOnce()).expiredWebhooks).toEqual([]);

    t.clock.advance(30 * 86_400_000);
    const report = await scheduler().runOnce();
    expect(report.errors).toEqual([]);
    expect(report.expiredWebhooks?.map((w) => w.webhookId).sort()).toEqual(
      [followerId, signupId].sort(),
    );
    expect([await state(teamId), await state(followerId), await state(signupId)]).toEqual([
      'paused',
      'removed',
      'removed',
    ]);
    expect(await queued(followerId)).toBe(0);
    expect(await queued(signupId)).toBe(0);
    expect(await queued(teamId)).toBe(1);
    const audits = await t.deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'webhook.expire'), eq(auditLog.actorLabel, 'Herald')));
    expect(audits.map((a) => a.objectId).sort()).toEqual([followerId, signupId].sort());
    expect(logs.filter((l) => l.includes("removed a visitor's webhook"))).toHaveLength(2);
    expect(logs.join('')).not.toContain('/signup');
  });
});
