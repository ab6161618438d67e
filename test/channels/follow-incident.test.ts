import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhooks, webhookSignups } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { publishDueUpdates } from '../../server/domain/incidents/publish-due-updates.ts';
import { scheduleIncidentUpdate } from '../../server/domain/incidents/schedule-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { followIncidentByWebhook } from '../../server/domain/webhooks/follow-incident.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { api, makeToken } from '../helpers/api.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { openSecondDeps } from '../helpers/second-process.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';
import { type Receiver, startReceiver } from './receiver.ts';

async function follow(s: ServerContext, incidentId: string, url: string) {
  const client = new FormClient(s.url);
  const form = await client.get(`/subscribe/incident/${incidentId}?url=${encodeURIComponent(url)}`);
  expect(form.html).toContain(`value="${url}"`);
  return client.post(`/subscribe/incident/${incidentId}`, { url });
}

describe('follow one incident by webhook', () => {
  let s: ServerContext;
  let rx: Receiver;
  beforeAll(async () => {
    // The receiver is on loopback: this Herald opts in to private addresses explicitly.
    s = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    rx = await startReceiver();
  });
  afterAll(async () => {
    await rx.close();
    await s.close();
  });

  it('gets every update of that incident only, whatever its priority, and ends at resolve', async () => {
    const followed = await makeIncident(s.deps, {
      title: 'Search is slow',
      priority: 3,
      body: 'Slow.',
    });
    const other = await makeIncident(s.deps, { title: 'Other', priority: 3, body: 'Else.' });
    const id = followed.incident.id;
    const page = await (await fetch(`${s.url}/incidents/${id}`)).text();
    expect(page).toContain('Get updates on this incident');
    expect(page).toContain(`action="/subscribe/incident/${id}"`);

    const { res, html } = await follow(s, id, `${rx.url}/follow`);
    expect(res.status).toBe(200);
    expect(html).toMatch(/<pre class="secret">whsec_/);

    const worker = createWebhookWorker(s.deps);
    s.clock.advance(60_000);
    await postIncidentUpdate(
      s.deps,
      { incidentId: id, status: 'identified', body: 'An index.' },
      testActor,
    );
    await postIncidentUpdate(
      s.deps,
      { incidentId: other.incident.id, body: 'Not this one.' },
      testActor,
    );
    // An update posted with notify off (a P3 notifies nobody by default) reaches followers too.
    s.clock.advance(60_000);
    await postIncidentUpdate(
      s.deps,
      { incidentId: id, body: 'Quietly better.', notify: false },
      testActor,
    );
    await worker.runOnce();
    expect(rx.received.map((r) => r.headers['x-herald-event'])).toEqual([
      'incident.updated',
      'incident.updated',
    ]);
    expect(rx.received.map((r) => JSON.parse(r.body).incident.id)).toEqual([id, id]);

    s.clock.advance(60_000);
    await resolveIncident(s.deps, { incidentId: id }, testActor);
    // A follow-up scheduled to go out after the all-clear: the follow ended with it, as an
    // email follow does, so it reaches no follower.
    await scheduleIncidentUpdate(
      s.deps,
      {
        incidentId: id,
        status: 'resolved',
        body: 'Root cause: a dropped index.',
        scheduledFor: new Date(s.clock.now().getTime() + 3600_000),
      },
      testActor,
    );
    s.clock.advance(3600_000 + 1000);
    expect(await publishDueUpdates(s.deps)).toHaveLength(1);
    await worker.runOnce();
    expect(rx.received.map((r) => r.headers['x-herald-event'])).toEqual([
      'incident.updated',
      'incident.updated',
      'incident.resolved',
    ]);
    // Resolved: the page offers no more following, and a late follow is refused.
    expect(await (await fetch(`${s.url}/incidents/${id}`)).text()).not.toContain(
      'Get updates on this incident',
    );
    const client = new FormClient(s.url);
    const late = await client.get(`/subscribe/incident/${id}?url=${encodeURIComponent(rx.url)}`);
    expect(late.html).toContain('This incident is resolved: there will be no more updates.');
    await expect(
      followIncidentByWebhook(s.deps, { incidentId: id, url: `${rx.url}/late` }),
    ).rejects.toThrow('This incident is resolved');
    const refused = await new FormClient(s.url).post(`/subscribe/incident/${id}`, {
      url: `${rx.url}/late`,
    });
    expect(refused.res.status).toBe(403); // no form token
  });

  it('a follower gets its own manage link: shown once, named in every delivery, and it removes the webhook', async () => {
    const { incident } = await makeIncident(s.deps, {
      title: 'Checkout fails',
      priority: 1,
      body: 'Payments fail.',
    });
    const id = incident.id;
    const { res, html } = await follow(s, id, `${rx.url}/managed`);
    expect(res.status).toBe(200);
    const secret = /<pre class="secret">(whsec_[^<]+)<\/pre>/.exec(html)?.[1];
    expect(secret).toBeDefined();
    expect(html).toContain(
      'Keep this link to see its deliveries or remove it later (it is shown only here):',
    );
    const managePath = /<a class="manage-link" href="(\/manage\/webhook\/[A-Za-z0-9_-]+)">/.exec(
      html,
    )?.[1];
    expect(managePath).toBeDefined();
    expect(html).toContain(`>https://status.example.com${managePath}</a>`);

    // Every delivery names that page, not the admins' webhook page, as the way to leave.
    s.clock.advance(60_000);
    await postIncidentUpdate(s.deps, { incidentId: id, body: 'Card payments only.' }, testActor);
    const worker = createWebhookWorker(s.deps);
    await worker.runOnce();
    const mine = () => rx.received.filter((r) => r.url === '/hook/managed');
    expect(mine()).toHaveLength(1);
    expect(JSON.parse(mine()[0]!.body).meta.unsubscribe).toBe(
      `https://status.example.com${managePath}`,
    );

    // The page names the incident it follows and how the delivery went, never the secret.
    const visitor = new FormClient(s.url);
    const manage = await visitor.get(managePath!);
    expect(manage.res.status).toBe(200);
    expect(manage.html).toContain(`${rx.url}/managed`);
    expect(manage.html).toContain('Every update of “Checkout fails” until it is resolved.');
    expect(manage.html).toContain(`href="/incidents/${id}"`);
    expect(manage.html).toContain('sent (2xx)');
    expect(manage.html).not.toContain(secret!);
    const removed = await visitor.post(managePath!, {});
    expect(removed.res.status).toBe(200);
    expect(removed.html).toContain('Webhook removed');

    s.clock.advance(60_000);
    await postIncidentUpdate(s.deps, { incidentId: id, body: 'Still failing.' }, testActor);
    await worker.runOnce();
    expect(mine()).toHaveLength(1);
    // The link says who removed it and leads back to the incident, where it can be followed again.
    const gone = await visitor.get(managePath!);
    expect(gone.res.status).toBe(404);
    expect(gone.html).toContain(
      'This webhook was removed through its manage link, so it gets nothing more. To get updates again, follow the incident again from its page.',
    );
    expect(gone.html).toContain(`<a href="/incidents/${id}">Back to the incident</a>`);
    expect(gone.html).not.toContain('Add a webhook again');
  });

  it('a follower removed by the team is told so on its manage link, in its language', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Search slow', priority: 2 });
    const german = new FormClient(s.url, { 'accept-language': 'de' });
    await german.get(`/subscribe/incident/${incident.id}`);
    const { html } = await german.post(`/subscribe/incident/${incident.id}`, {
      url: `${rx.url}/team-removed`,
    });
    expect(html).toContain('Bewahren Sie diesen Link auf');
    const managePath = /class="manage-link" href="([^"]+)"/.exec(html)![1]!;
    const [hook] = await s.deps.db
      .select()
      .from(webhooks)
      .where(eq(webhooks.url, `${rx.url}/team-removed`));
    const admin = api(s, (await makeToken(s, 'admin')).secret);
    expect((await admin.del(`/api/admin/webhooks/${hook!.id}`)).status).toBe(204);
    const gone = await german.get(managePath);
    expect(gone.res.status).toBe(404);
    expect(gone.html).toContain(
      'Das Team dieser Statusseite hat diesen Webhook entfernt; er erhält nichts mehr. Um wieder Updates zu erhalten, folgen Sie dem Vorfall erneut auf seiner Seite.',
    );
    expect(gone.html).toContain(`<a href="/incidents/${incident.id}">Zurück zum Vorfall</a>`);
  });

  it('a follower from before manage links gets one at the next start, named in its deliveries', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Older follow', priority: 1 });
    const { webhookId } = await followIncidentByWebhook(s.deps, {
      incidentId: incident.id,
      url: `${rx.url}/older`,
    });
    // As it was stored before: no sign-up row, so no manage link.
    await s.deps.db.delete(webhookSignups).where(eq(webhookSignups.webhookId, webhookId));
    // The next start (another process on the same file) gives it one.
    await (await openSecondDeps(s)).close();
    await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'Later.' }, testActor);
    await createWebhookWorker(s.deps).runOnce();
    const [got] = rx.received.filter((r) => r.url === '/hook/older');
    const link = JSON.parse(got!.body).meta.unsubscribe as string;
    expect(link).toMatch(/^https:\/\/status\.example\.com\/manage\/webhook\/[A-Za-z0-9_-]+$/);
    const manage = await new FormClient(s.url).get(new URL(link).pathname);
    expect(manage.res.status).toBe(200);
    expect(manage.html).toContain('Every update of “Older follow” until it is resolved.');
  });

  it('refuses URLs that are not http(s), keeping what was typed', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Another', priority: 1, body: 'B.' });
    const { res, html } = await follow(s, incident.id, 'gopher://example.com/x');
    expect(res.status).toBe(422);
    expect(html).toContain('Please fix the field marked below.');
    expect(html).toContain('must start with http:// or https://');
    expect(html).toContain('value="gopher://example.com/x"');
  });
});

describe('follow one incident without the instance-wide opt-in', () => {
  let s: ServerContext;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.close());

  it('refuses a loopback address', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'X', priority: 1, body: 'B.' });
    const { res, html } = await follow(s, incident.id, 'http://127.0.0.1:9/hook');
    expect(res.status).toBe(422);
    expect(html).toContain('points at 127.0.0.1, a loopback or private address');
  });
});
