import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { incidentFollowers, outboxMessages } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { publishDueUpdates } from '../../server/domain/incidents/publish-due-updates.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { scheduleIncidentUpdate } from '../../server/domain/incidents/schedule-update.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.ts';

let clients = 0;
/** Each call is another visitor (behind the trusted proxy) unless `from` names one. */
const visitor = (s: ServerContext, from?: string) =>
  new FormClient(s.url, { 'x-forwarded-for': from ?? `198.51.100.${++clients}` });

/** As a visitor: the incident page's email form GETs the follow page, whose form POSTs. */
async function followByEmail(s: ServerContext, incidentId: string, email: string, from?: string) {
  const client = visitor(s, from);
  const form = await client.get(
    `/subscribe/incident/${incidentId}?email=${encodeURIComponent(email)}`,
  );
  expect(form.res.status).toBe(200);
  return client.post(`/subscribe/incident/${incidentId}`, { via: 'email', email });
}

/** Opens an emailed link's page and presses its button, as a person does. */
async function pressButtonAt(s: ServerContext, path: string, fields: Record<string, string> = {}) {
  const client = new FormClient(s.url);
  const page = await client.get(path);
  expect(page.res.status).toBe(200);
  return { page, done: await client.post(path, fields) };
}

describe('follow one incident by email', () => {
  let s: ServerContext;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({ env: { SMTP_URL: smtp.url, TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await s.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  it('confirms by email, then gets every update of that incident until the resolve, and nothing after', async () => {
    const who = 'fan@example.org';
    const { incident } = await makeIncident(s.deps, {
      title: 'Search is slow',
      priority: 3,
      body: 'Slow searches.',
    });
    const other = await makeIncident(s.deps, { title: 'Other thing', priority: 3, body: 'Else.' });
    const page = await (await fetch(`${s.url}/incidents/${incident.id}`)).text();
    expect(page).toContain('Follow by email');

    const { res, html } = await followByEmail(s, incident.id, who);
    expect(res.status).toBe(200);
    expect(html).toContain('Check your inbox');

    // Nothing but the confirmation is sent before confirming, not even a new update.
    await postIncidentUpdate(
      s.deps,
      { incidentId: incident.id, body: 'Before confirming.', internalNote: 'Secret cause.' },
      testActor,
    );
    await testWorker(s).drain();
    const confirmations = smtp.to(who);
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]!.parsed.subject).toBe('Confirm following “Search is slow”');
    expect(confirmations[0]!.parsed.text).toContain('“Search is slow” updates');
    smtp.clear();

    const confirm = await pressButtonAt(s, linkPath(confirmations[0]!.parsed.text!, '/confirm/'));
    expect(confirm.page.html).toContain('Confirm following this incident');
    expect(confirm.done.res.status).toBe(200);
    expect(confirm.done.html).toContain('You follow this incident');
    await testWorker(s).drain();
    expect(smtp.to(who)).toHaveLength(0); // no welcome email for a follow

    s.clock.advance(60_000);
    await postIncidentUpdate(
      s.deps,
      {
        incidentId: incident.id,
        status: 'identified',
        body: 'An index is missing.',
        internalNote: 'Bob dropped it.',
        notify: false,
      },
      testActor,
    );
    await postIncidentUpdate(
      s.deps,
      { incidentId: other.incident.id, body: 'Not this one.' },
      testActor,
    );
    s.clock.advance(60_000);
    await postIncidentUpdate(
      s.deps,
      { incidentId: incident.id, status: 'monitoring', body: 'Index rebuilt.' },
      testActor,
    );
    await testWorker(s).drain();
    const updates = smtp.to(who);
    expect(updates.map((m) => m.parsed.subject)).toEqual([
      'Notice: Search is slow',
      'Notice: Search is slow',
    ]);
    const texts = updates.map((m) => m.parsed.text!);
    expect(texts.find((t) => t.includes('An index is missing.'))).toBeDefined();
    expect(texts.find((t) => t.includes('Index rebuilt.'))).toBeDefined();
    for (const m of updates) {
      expect(m.parsed.text).not.toContain('Bob dropped it.');
      expect(m.parsed.html).not.toContain('Bob dropped it.');
      expect(m.parsed.text).not.toContain('Not this one.');
      expect(m.header('list-unsubscribe')).toMatch(
        /^<https:\/\/status\.example\.com\/unsubscribe\/[A-Za-z0-9_-]+>$/,
      );
      expect(m.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      expect(m.parsed.text).toContain(`https://status.example.com/incidents/${incident.id}`);
      // The footer says why this address gets it: a follow, not a list it joined.
      expect(m.parsed.text).toContain(
        'because you follow the incident “Search is slow” until it is resolved.',
      );
      expect(m.parsed.html).toContain('you follow the incident “Search is slow”');
      expect(m.parsed.text).not.toContain('you joined the');
    }
    smtp.clear();

    s.clock.advance(60_000);
    await resolveIncident(s.deps, { incidentId: incident.id, body: 'All fast again.' }, testActor);
    await testWorker(s).drain();
    const resolved = smtp.to(who);
    expect(resolved.map((m) => m.parsed.subject)).toEqual(['Resolved: Search is slow']);
    expect(resolved[0]!.parsed.text).toContain('All fast again.');
    smtp.clear();

    // A follow-up published after the all-clear: the follow ended with it, so nothing arrives.
    await scheduleIncidentUpdate(
      s.deps,
      {
        incidentId: incident.id,
        status: 'resolved',
        body: 'Root cause: a dropped index.',
        scheduledFor: new Date(s.clock.now().getTime() + 3600_000),
      },
      testActor,
    );
    s.clock.advance(3600_000 + 1000);
    expect(await publishDueUpdates(s.deps)).toHaveLength(1);
    await testWorker(s).drain();
    expect(smtp.to(who)).toHaveLength(0);
    const queued = await s.deps.db
      .select()
      .from(outboxMessages)
      .where(eq(outboxMessages.toAddress, who));
    expect(queued.filter((q) => q.kind === 'follow_update')).toHaveLength(3);
  });

  it('after the resolve, its manage and unsubscribe pages say the follow ended, with nothing to press', async () => {
    const who = 'ended@example.org';
    const { incident } = await makeIncident(s.deps, { title: 'Website is down', priority: 1 });
    await followByEmail(s, incident.id, who);
    await testWorker(s).drain();
    await pressButtonAt(s, linkPath(smtp.to(who)[0]!.parsed.text!, '/confirm/'));
    smtp.clear();
    await resolveIncident(s.deps, { incidentId: incident.id, body: 'Back up.' }, testActor);
    await testWorker(s).drain();
    const allClear = smtp.to(who)[0]!.parsed.text!;
    const manage = linkPath(allClear, '/manage/');
    const unsubscribe = linkPath(allClear, '/unsubscribe/');
    const ended =
      'Website is down</a> was resolved, and the follow ended with its last update: <strong>ended@example.org</strong> gets no more emails about it.';
    const check = async (path: string) => {
      const { res, html } = await new FormClient(s.url).get(path);
      expect(res.status, path).toBe(200);
      expect(html, path).toContain('This follow has ended');
      expect(html, path).toContain(ended);
      for (const misleading of ['Unsubscribe?', '(unsubscribed)', 'Follow the incident again'])
        expect(html, path).not.toContain(misleading);
      expect(html, path).not.toContain('<button type="submit"');
    };
    await check(manage);
    await check(unsubscribe);
    // A mail program's one-click unsubscribe after the end changes nothing the reader is told.
    const oneClick = await fetch(`${s.url}${unsubscribe}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    await check(manage);
    const german = await new FormClient(s.url).get(`${manage}?lang=de`);
    expect(german.html).toContain('Dieses Folgen ist beendet');
  });

  it('the unsubscribe link in an update ends the follow at once', async () => {
    const who = 'leaver@example.org';
    const { incident } = await makeIncident(s.deps, { title: 'Login fails', priority: 1 });
    await followByEmail(s, incident.id, who);
    await testWorker(s).drain();
    await pressButtonAt(s, linkPath(smtp.to(who)[0]!.parsed.text!, '/confirm/'));
    smtp.clear();
    await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'Looking.' }, testActor);
    await testWorker(s).drain();
    const [first] = smtp.to(who);
    expect(first!.parsed.text).toContain('Looking.');

    const unsubscribe = linkPath(first!.parsed.text!, '/unsubscribe/');
    // The unsubscribe link opened in a browser names the incident and offers no components.
    const asked = await visitor(s).get(unsubscribe);
    expect(asked.html).toContain('Stop emails about <strong>Login fails</strong>');
    expect(asked.html).not.toContain('choose which components');
    // The manage link shows the follow; its unsubscribe button stops it.
    const token = unsubscribe.split('/').pop()!;
    const manage = await pressButtonAt(s, `/manage/${token}`, { action: 'unsubscribe' });
    expect(manage.page.html).toContain('Login fails');
    expect(manage.done.html).toContain('You are unsubscribed');
    smtp.clear();
    await postIncidentUpdate(
      s.deps,
      { incidentId: incident.id, body: 'Still looking.' },
      testActor,
    );
    await testWorker(s).drain();
    expect(smtp.to(who)).toHaveLength(0);

    // RFC 8058 one-click on the same link is answered too, and stays idempotent.
    const oneClick = await fetch(s.url + unsubscribe, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
  });

  it('one-click unsubscribe (RFC 8058) ends a follow with no page in between', async () => {
    const who = 'oneclick@example.org';
    const { incident } = await makeIncident(s.deps, { title: 'API errors', priority: 2 });
    await followByEmail(s, incident.id, who);
    await testWorker(s).drain();
    await pressButtonAt(s, linkPath(smtp.to(who)[0]!.parsed.text!, '/confirm/'));
    smtp.clear();
    await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'Errors.' }, testActor);
    await testWorker(s).drain();
    const url = new URL(smtp.to(who)[0]!.header('list-unsubscribe')!.slice(1, -1));
    const res = await fetch(s.url + url.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    smtp.clear();
    await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'More errors.' }, testActor);
    await testWorker(s).drain();
    expect(smtp.to(who)).toHaveLength(0);
  });

  it('a relay that refuses for now gets the update again later, and the follower gets it once', async () => {
    const who = 'patient@example.org';
    const { incident } = await makeIncident(s.deps, { title: 'Relay trouble', priority: 2 });
    await followByEmail(s, incident.id, who);
    await testWorker(s).drain();
    await pressButtonAt(s, linkPath(smtp.to(who)[0]!.parsed.text!, '/confirm/'));
    smtp.clear();
    smtp.reject((to) => (to.includes(who) ? { code: 451, message: 'try again later' } : null));
    try {
      await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'Retry me.' }, testActor);
      await testWorker(s).drain();
      expect(smtp.to(who)).toHaveLength(0);
      const rows = await s.deps.db
        .select()
        .from(outboxMessages)
        .where(eq(outboxMessages.toAddress, who));
      const row = rows.find((r) => r.kind === 'follow_update');
      expect(row).toMatchObject({ state: 'pending', attempts: 1, toAddress: who });
      expect(row!.lastError).toContain('try again later');
    } finally {
      smtp.reject(null);
    }
    s.clock.advance(3600_000);
    await testWorker(s).drain();
    await testWorker(s).drain();
    expect(smtp.to(who).map((m) => m.parsed.text)).toEqual([expect.stringContaining('Retry me.')]);
  });

  it('following again with the same address keeps one follow and answers the same', async () => {
    const who = 'twice@example.org';
    const { incident } = await makeIncident(s.deps, { title: 'Twice', priority: 1 });
    const first = await followByEmail(s, incident.id, who);
    await testWorker(s).drain();
    await pressButtonAt(s, linkPath(smtp.to(who)[0]!.parsed.text!, '/confirm/'));
    smtp.clear();
    const again = await followByEmail(s, incident.id, who.toUpperCase());
    const stranger = await followByEmail(s, incident.id, 'stranger@example.org');
    expect(again.res.status).toBe(200);
    // The confirmed address and a new one get the same page, apart from the address itself.
    const strip = (h: string, e: string) => h.replaceAll(e, 'X').replace(/value="[^"]*"/g, '');
    expect(strip(again.html, who)).toBe(strip(stranger.html, 'stranger@example.org'));
    expect(strip(first.html, who)).toBe(strip(again.html, who));
    const rows = await s.deps.db
      .select()
      .from(incidentFollowers)
      .where(eq(incidentFollowers.email, who));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state).toBe('confirmed');
    await testWorker(s).drain();
    expect(smtp.to(who)).toHaveLength(0); // already following: no new confirmation
    await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'Once.' }, testActor);
    await testWorker(s).drain();
    expect(smtp.to(who)).toHaveLength(1);
  });

  it('a bad address keeps what was typed, says what is wrong and sends nothing', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Typo', priority: 1 });
    const { res, html } = await followByEmail(s, incident.id, 'not an address');
    expect(res.status).toBe(422);
    expect(html).toContain('must be an email address such as name@example.com');
    expect(html).toContain('value="not an address"');
    const rows = await s.deps.db
      .select()
      .from(incidentFollowers)
      .where(eq(incidentFollowers.incidentId, incident.id));
    expect(rows).toHaveLength(0);
  });

  it('limits follows per client address', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Busy client', priority: 1 });
    const statuses = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await followByEmail(s, incident.id, `c${i}@example.org`, '203.0.113.50')).res.status,
      );
    expect(statuses.slice(0, 10).every((x) => x === 200)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect(
      (await followByEmail(s, incident.id, 'c11@example.org', '203.0.113.51')).res.status,
    ).toBe(200);
  });

  it('counts only the follows it takes: typos never use the per-client limit up', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Typing client', priority: 1 });
    for (const email of ['', 'not an address', 'a@b'])
      expect((await followByEmail(s, incident.id, email, '203.0.113.52')).res.status).toBe(422);
    const statuses = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await followByEmail(s, incident.id, `t${i}@example.org`, '203.0.113.52')).res.status,
      );
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
  });

  it('limits confirmation emails per address and refuses resolved incidents and drills', async () => {
    const who = 'flooded@example.org';
    const incidents = [];
    for (let i = 0; i < 6; i++)
      incidents.push((await makeIncident(s.deps, { title: `Flood ${i}`, priority: 1 })).incident);
    const answers = [];
    for (const inc of incidents) answers.push((await followByEmail(s, inc.id, who)).res.status);
    expect(answers).toEqual([200, 200, 200, 200, 200, 429]);
    await testWorker(s).drain();
    expect(smtp.to(who)).toHaveLength(5);

    const { incident: done } = await makeIncident(s.deps, { title: 'Done', priority: 1 });
    await resolveIncident(s.deps, { incidentId: done.id }, testActor);
    const late = await visitor(s).get(`/subscribe/incident/${done.id}?email=a@b.org`);
    expect(late.html).toContain('This incident is resolved: there will be no more updates.');

    const { incident: drill } = await makeIncident(s.deps, {
      title: 'Practice',
      priority: 0,
      isDrill: true,
    });
    const client = visitor(s);
    await client.get(`/subscribe/incident/${incidents[0]!.id}`);
    const refused = await client.post(`/subscribe/incident/${drill.id}`, {
      via: 'email',
      email: 'drill@example.org',
    });
    expect(refused.res.status).toBe(404);
  });
});
