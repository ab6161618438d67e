import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { publishDueUpdates } from '../../server/domain/incidents/publish-due-updates.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { scheduleIncidentUpdate } from '../../server/domain/incidents/schedule-update.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

const V2 = [
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/components.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/scheduled-maintenances.json',
  '/api/v2/scheduled-maintenances/upcoming.json',
  '/api/v2/scheduled-maintenances/active.json',
];
const FEEDS = ['/history.rss', '/history.atom'];

// An internal note is for staff and internal lists. It must stay off every public surface for
// every kind of update that can carry one: the declare, a later update, a scheduled update
// when it publishes itself, and the all-clear.
describe('internal notes are never public', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: Awaited<ReturnType<typeof startSite>>;
  let incidentId: string;
  const notes = ['NOTE-DECLARE-7d1', 'NOTE-LATER-7d1', 'NOTE-SCHEDULED-7d1', 'NOTE-RESOLVE-7d1'];
  const bodies = ['Public declare.', 'Public later.', 'Public scheduled.', 'Public all-clear.'];

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    site = await startSite(t);
    await makeConfirmedSubscriber(t.deps, 'insider@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'outsider@example.org', 'customers');
    const { incident } = await makeIncident(t.deps, {
      priority: 1,
      title: 'Checkout errors',
      body: bodies[0],
      internalNote: notes[0],
    });
    incidentId = incident.id;
    await postIncidentUpdate(
      t.deps,
      { incidentId, body: bodies[1]!, internalNote: notes[1] },
      testActor,
    );
    await scheduleIncidentUpdate(
      t.deps,
      {
        incidentId,
        body: bodies[2]!,
        internalNote: notes[2],
        scheduledFor: new Date(t.clock.now().getTime() + 10 * 60_000),
      },
      testActor,
    );
    t.clock.advance(10 * 60_000);
    expect(await publishDueUpdates(t.deps)).toHaveLength(1);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
    await smtp.close();
  });

  async function publicSurfaces(): Promise<[string, string][]> {
    const out: [string, string][] = [];
    for (const path of [...V2, ...FEEDS]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      out.push([path, await res.text()]);
    }
    for (const path of ['/', `/incidents/${incidentId}`, '/history']) {
      const res = await fetch(site.base + path);
      expect(res.status, path).toBe(200);
      out.push([path, await res.text()]);
    }
    return out;
  }

  it('keeps the notes of the declare, a later and a scheduled update off the page, the feeds and every v2 endpoint', async () => {
    const surfaces = await publicSurfaces();
    for (const [path, text] of surfaces)
      for (const note of notes) expect(text, `${path} ${note}`).not.toContain(note);
    // Positive control: the public text of the same updates is there on the incident surfaces.
    const withIncidents = surfaces.filter(
      ([p]) =>
        !p.includes('maintenances') && !p.endsWith('status.json') && !p.includes('components'),
    );
    for (const [path, text] of withIncidents)
      expect(text, path).toContain(bodies[2]!.replace('.', ''));
  });

  it('keeps every note, the all-clear included, out of public-list mail while internal mail carries each', async () => {
    await resolveIncident(
      t.deps,
      { incidentId, body: bodies[3], internalNote: notes[3] },
      testActor,
    );
    await testWorker(t).drain();
    const outside = smtp.to('outsider@example.org');
    const inside = smtp.to('insider@acme.com');
    expect(outside).toHaveLength(4);
    expect(inside).toHaveLength(4);
    for (const m of outside) for (const note of notes) expect(m.raw).not.toContain(note);
    // Each update's mail once, in publish order (one address's emails go one at a time).
    expect(outside.map((m) => bodies.find((b) => m.parsed.text?.includes(b)))).toEqual(bodies);
    expect(inside.map((m) => notes.find((n) => m.parsed.text?.includes(n)))).toEqual(notes);
    for (const [path, text] of await publicSurfaces()) {
      expect(text, path).not.toContain(notes[3]);
    }
    const page = await (await fetch(`${site.base}/incidents/${incidentId}`)).text();
    expect(page).toContain(bodies[3]);
  });
});
