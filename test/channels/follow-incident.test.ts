import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { followIncidentByWebhook } from '../../server/domain/webhooks/follow-incident.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
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
