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
import { startSite } from '../helpers/site.ts';
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
    const { webhookId: signupId, manageToken } = await signUpPublicWebhook(
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

    // Its owner's manage link says what happened, in the reader's language too.
    const site = await startSite(t);
    try {
      const page = await fetch(`${site.base}/manage/webhook/${manageToken}`);
      expect(page.status).toBe(404);
      const html = await page.text();
      expect(html).toContain(
        'Herald removed this webhook: its receiver had accepted no delivery for 30 days.',
      );
      expect(html).toContain('add the webhook again on the subscribe page');
      expect(html).toContain('href="/subscribe"');
      const german = await fetch(`${site.base}/manage/webhook/${manageToken}`, {
        headers: { 'accept-language': 'de' },
      });
      expect(await german.text()).toContain(
        'Herald hat diesen Webhook entfernt: Sein Empfänger hatte 30 Tage lang keine Zustellung angenommen.',
      );
      // A year on, the scheduler forgets it: the link is then just not valid.
      t.clock.advance(366 * 86_400_000);
      expect((await scheduler().runOnce()).errors).toEqual([]);
      const later = await fetch(`${site.base}/manage/webhook/${manageToken}`);
      expect(await later.text()).toContain('This manage link is not valid');
    } finally {
      await site.close();
    }
  });

  it("a visitor's webhook the team removes: its manage link says the team removed it", async () => {
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    const { webhookId, manageToken } = await signUpPublicWebhook(
      t.deps,
      { url: `${rx.url}/signup-2`, events: ['incident.updated'] },
      (req) => postWebhook(req, t.clock.now(), { timeoutMs: 2000, maxBytes: 1024, event: 'test' }),
    );
    expect((await admin.del(`/api/admin/webhooks/${webhookId}`)).status).toBe(204);
    const site = await startSite(t);
    try {
      const page = await fetch(`${site.base}/manage/webhook/${manageToken}`);
      expect(page.status).toBe(404);
      expect(await page.text()).toContain(
        'The team of this status page removed this webhook, so it gets nothing more.',
      );
      // A link that never was one still says so.
      const unknown = await fetch(`${site.base}/manage/webhook/${'x'.repeat(43)}`);
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).toContain('This manage link is not valid');
    } finally {
      await site.close();
    }
  });
});
