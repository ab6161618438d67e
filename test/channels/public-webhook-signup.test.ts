import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog, webhooks, webhookSignups } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';
import { type Receiver, startReceiver, verifySignature as verify } from './receiver.ts';

const allEvents = [
  'incident.created',
  'incident.updated',
  'incident.resolved',
  'component.updated',
];

let clients = 0;
/** As a visitor (another one per call, behind the trusted proxy, unless `from` names one). */
async function signUp(
  s: ServerContext,
  fields: Record<string, string | string[]>,
  from = `198.51.100.${++clients}`,
) {
  const client = new FormClient(s.url, { 'x-forwarded-for': from });
  const form = await client.get('/subscribe');
  expect(form.html).toContain('Or get webhooks');
  return client.post('/subscribe', { via: 'webhook', events: allEvents, ...fields });
}

describe('public webhook sign-up through /subscribe', () => {
  let s: ServerContext;
  let rx: Receiver;
  /** A sign-up to a receiver that never answers, under way while the other tests run. */
  let hanging: { rx: Receiver; signUp: ReturnType<typeof signUp> };
  beforeAll(async () => {
    // The receiver is on loopback: this Herald opts in to private addresses for every webhook.
    s = await startTestServer({
      env: { PUBLIC_WEBHOOK_SIGNUP: 'true', WEBHOOK_ALLOW_PRIVATE: 'true', TRUST_PROXY: 'true' },
    });
    // Herald waits out its 10 s limit on this one: started first, it waits while the tests
    // below run, and the last test reads how it ended.
    const silent = await startReceiver();
    silent.next({ hang: true });
    hanging = { rx: silent, signUp: signUp(s, { url: silent.url }) };
    hanging.signUp.catch(() => {}); // read (and its failure reported) by the last test
  });
  afterAll(async () => {
    await hanging?.rx.close();
    await s.close();
  });
  beforeEach(async () => {
    rx = await startReceiver();
  });
  afterEach(async () => {
    await rx.close();
    await s.deps.db.delete(webhooks);
  });

  it('saves a URL that answers the test, shows the secret once, signs later deliveries, and its manage link removes it', async () => {
    const api = await makeComponent(s.deps, { name: 'Public API' });
    const { res, html } = await signUp(s, { url: rx.url, componentIds: [api.id] });
    expect(res.status).toBe(200);
    expect(html).toContain('Your webhook is on');
    const secret = /<pre class="secret">(whsec_[^<]+)<\/pre>/.exec(html)?.[1];
    expect(secret).toBeDefined();

    // The test went first, signed with the secret the page then showed.
    expect(rx.received).toHaveLength(1);
    const test = rx.received[0]!;
    expect(test.headers['x-herald-event']).toBe('test');
    expect(verify(secret!, String(test.headers['x-herald-signature']), test.body)).toBe(true);
    expect(JSON.parse(test.body)).toMatchObject({ page: { status_indicator: 'none' } });

    const managePath = /href="(\/manage\/webhook\/[A-Za-z0-9_-]+)"/.exec(html)?.[1];
    expect(managePath).toBeDefined();

    const worker = createWebhookWorker(s.deps, { timeoutMs: 2000 });
    const { incident } = await makeIncident(s.deps, {
      title: 'API down',
      priority: 1,
      body: 'Errors everywhere.',
      components: [{ componentId: api.id, status: 'major_outage' }],
    });
    s.clock.advance(1000);
    await worker.runOnce();
    const deliveries = rx.received.slice(1);
    expect(deliveries.map((d) => d.headers['x-herald-event'])).toContain('incident.created');
    for (const d of deliveries)
      expect(verify(secret!, String(d.headers['x-herald-signature']), d.body)).toBe(true);
    const created = deliveries.find((d) => d.headers['x-herald-event'] === 'incident.created')!;
    expect(JSON.parse(created.body).incident.id).toBe(incident.id);
    // Every delivery names the visitor's own manage page as the way to leave.
    expect(JSON.parse(created.body).meta.unsubscribe).toBe(
      `https://status.example.com${managePath}`,
    );
    expect(JSON.parse(test.body).meta.unsubscribe).toBe(`https://status.example.com${managePath}`);

    // The manage page shows what it gets and how it went, never the secret again.
    const visitor = new FormClient(s.url);
    const manage = await visitor.get(managePath!);
    expect(manage.res.status).toBe(200);
    expect(manage.html).toContain(rx.url);
    expect(manage.html).toContain('Public API');
    expect(manage.html).toContain('An incident is declared');
    expect(manage.html).not.toContain(secret!);
    const removed = await visitor.post(managePath!, {});
    expect(removed.res.status).toBe(200);
    expect(removed.html).toContain('Webhook removed');
    expect(await s.deps.db.select().from(webhookSignups)).toHaveLength(0);

    const before = rx.received.length;
    s.clock.advance(1000);
    await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'Still down.' }, testActor);
    await worker.runOnce();
    expect(rx.received).toHaveLength(before);
    // The link says what happened and where to add one again.
    const gone = await visitor.get(managePath!);
    expect(gone.res.status).toBe(404);
    expect(gone.html).toContain(
      'This webhook was removed through its manage link, so it gets nothing more.',
    );
    expect(gone.html).toContain('href="/subscribe"');
  });

  it('names every event in words on the form and the manage page, in the reader’s language', async () => {
    const form = await new FormClient(s.url).get('/subscribe');
    for (const label of [
      'An incident is declared',
      'A maintenance window is planned or updated',
      'The maintenance switch goes on or off',
    ])
      expect(form.html).toContain(`<span>${label}</span>`);
    expect(form.html).not.toMatch(/<span>maintenance(\.switch)?<\/span>/);
    const german = await new FormClient(s.url).get('/subscribe?lang=de');
    expect(german.html).toContain('<span>Der Wartungsschalter wird ein- oder ausgeschaltet</span>');

    const { html } = await signUp(s, {
      url: rx.url,
      events: [...allEvents, 'maintenance', 'maintenance.switch'],
    });
    const managePath = /href="(\/manage\/webhook\/[A-Za-z0-9_-]+)"/.exec(html)![1]!;
    const manage = await new FormClient(s.url).get(managePath);
    expect(manage.html).toContain(
      'A component changes status, A maintenance window is planned or updated, and The maintenance switch goes on or off.',
    );
    expect(manage.html).not.toMatch(/maintenance\.switch/);
  });

  it('refuses a URL whose test answers 500 telling only the status class, keeping what was typed and saving nothing', async () => {
    rx.next({ status: 500, body: 'broken: internal secret 10.0.0.7' });
    const { res, html } = await signUp(s, { url: rx.url, events: ['incident.created'] });
    expect(res.status).toBe(422);
    expect(html).toContain(
      'the test delivery was not accepted (the receiver answered with a 5xx status)',
    );
    // The receiver's own words never reach the visitor: the form is no HTTP probe.
    expect(html).not.toContain('broken');
    expect(html).not.toContain('10.0.0.7');
    // The status itself, not digits of the receiver's port (45003).
    expect(html).not.toMatch(/\b500\b/);
    expect(html).toContain(`value="${rx.url}"`);
    expect(html).not.toContain('whsec_');
    expect(await s.deps.db.select().from(webhooks)).toHaveLength(0);
  });

  it('cuts an endless error answer to the test short, and a redirect is no success', async () => {
    rx.next({ status: 500, endless: true });
    const endless = await signUp(s, { url: rx.url });
    expect(endless.res.status).toBe(422);
    // Cut short after its first 16 KB: the answer is the 500, not the 10 s timeout.
    expect(endless.html).toContain('the receiver answered with a 5xx status');
    expect(endless.html).not.toContain('(no answer)');
    await expect.poll(() => rx.openConnections, { timeout: 10_000 }).toBe(0);

    rx.next({ status: 302, headers: { location: 'https://elsewhere.example.com/' } });
    const redirect = await signUp(s, { url: rx.url });
    expect(redirect.res.status).toBe(422);
    expect(redirect.html).toContain('the receiver answered with a 3xx status');
    expect(redirect.html).not.toContain('elsewhere.example.com');
    expect(await s.deps.db.select().from(webhooks)).toHaveLength(0);
  });

  it('refuses URLs that are not http(s) and forms without an event', async () => {
    const gopher = await signUp(s, { url: 'gopher://example.com/x' });
    expect(gopher.res.status).toBe(422);
    expect(gopher.html).toContain('Please fix the field marked below.');
    expect(gopher.html).toContain('must start with http:// or https://');
    const none = await signUp(s, { url: rx.url, events: [] });
    expect(none.res.status).toBe(422);
    expect(none.html).toContain('pick at least one');
    expect(rx.received).toHaveLength(0);
    expect(await s.deps.db.select().from(webhooks)).toHaveLength(0);
  });

  it('limits sign-ups per client address', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await signUp(s, { url: `${rx.url}/${i}` }, '203.0.113.9')).res.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(rx.received).toHaveLength(5);
  });
  it('counts only the sign-ups that reach the test delivery: bad input never uses the limit up', async () => {
    const from = '203.0.113.10';
    for (const url of ['', 'ftp://x', 'not a url', 'http://', 'gopher://example.com/x']) {
      const bad = await signUp(s, { url }, from);
      expect(bad.res.status, url).toBe(422);
      expect(bad.html, url).not.toContain('Too many requests');
    }
    expect((await signUp(s, { url: rx.url, events: [] }, from)).res.status).toBe(422);
    // A test the receiver refuses was sent, so it counts.
    rx.next({ status: 500 });
    const statuses = [(await signUp(s, { url: `${rx.url}/refused` }, from)).res.status];
    for (let i = 0; i < 5; i++)
      statuses.push((await signUp(s, { url: `${rx.url}/${i}` }, from)).res.status);
    expect(statuses).toEqual([422, 200, 200, 200, 200, 429]);
    expect(rx.received).toHaveLength(5);
    const limited = await signUp(s, { url: 'ftp://x' }, from);
    expect(limited.res.status).toBe(429);
    expect(limited.html).toContain('Too many requests from your network');
  });

  it('refuses a URL whose test never answers within the 10 s limit, saving nothing', async () => {
    const { res, html } = await hanging.signUp;
    expect(res.status).toBe(422);
    expect(html).toContain('the test delivery was not accepted (no answer)');
    expect(hanging.rx.received).toHaveLength(1);
    // The other tests here remove what they saved after each; nothing was ever saved for this
    // URL (the audit log keeps every public sign-up).
    expect(
      await s.deps.db.select().from(webhooks).where(eq(webhooks.url, hanging.rx.url)),
    ).toHaveLength(0);
    const signUps = await s.deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'webhook.public_signup'));
    expect(signUps.length).toBeGreaterThan(0);
    expect(JSON.stringify(signUps)).not.toContain(hanging.rx.url);
  }, 25_000);
});

describe('public webhook sign-up without the private-address opt-in', () => {
  let s: ServerContext;
  let rx: Receiver;
  beforeAll(async () => {
    s = await startTestServer({ env: { PUBLIC_WEBHOOK_SIGNUP: 'true' } });
    rx = await startReceiver();
  });
  afterAll(async () => {
    await rx.close();
    await s.close();
  });

  it('refuses a loopback address before sending anything', async () => {
    const { res, html } = await signUp(s, { url: rx.url });
    expect(res.status).toBe(422);
    expect(html).toContain('points at 127.0.0.1, a loopback or private address');
    expect(rx.received).toHaveLength(0);
    expect(await s.deps.db.select().from(webhooks)).toHaveLength(0);
  });
});

describe('public webhook sign-up, not enabled (the default)', () => {
  let s: ServerContext;
  let rx: Receiver;
  beforeAll(async () => {
    s = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    rx = await startReceiver();
  });
  afterAll(async () => {
    await rx.close();
    await s.close();
  });

  it('shows no webhook form and answers a forced sign-up with 404, saving nothing', async () => {
    const client = new FormClient(s.url);
    const page = await client.get('/subscribe');
    expect(page.html).toContain('Get email updates');
    expect(page.html).not.toContain('Or get webhooks');
    const { res, html } = await client.post('/subscribe', {
      via: 'webhook',
      url: rx.url,
      events: allEvents,
    });
    expect(res.status).toBe(404);
    expect(html).toContain('does not take webhooks from visitors');
    expect(rx.received).toHaveLength(0);
    expect(await s.deps.db.select().from(webhooks)).toHaveLength(0);
  });
});
