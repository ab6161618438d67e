import http from 'node:http';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { scheduleIncidentUpdate } from '../../server/domain/incidents/schedule-update.ts';
import { changeIncidentPriority } from '../../server/domain/incidents/change-incident-priority.ts';
import { setIncidentFacts } from '../../server/domain/record/set-incident-facts.ts';
import { logDecision } from '../../server/domain/record/log-decision.ts';
import { logChange } from '../../server/domain/record/log-change.ts';
import { addActionItem } from '../../server/domain/record/add-action-item.ts';
import { saveSupportScript } from '../../server/domain/support/support-script.ts';
import { savePostmortem } from '../../server/domain/postmortems/save-postmortem.ts';
import { publishPostmortem } from '../../server/domain/postmortems/publish-postmortem.ts';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { audienceFeedToken } from '../../server/domain/audiences/audience-token.ts';
import { linkKey } from '../../server/domain/subscribers/tokens.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { readWebhookMessages } from '../../server/domain/webhooks/webhook-send-context.ts';
import { renderWebhookRequest } from '../../server/delivery/kinds/webhook-events.ts';
import {
  readBroadcastSource,
  readPageContext,
  readRecipients,
} from '../../server/domain/broadcasts/send-context.ts';
import { composeBroadcastMail } from '../../server/delivery/kinds/compose.ts';
import * as schema from '../../db/schema/index.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { retractDecision } from '../../server/domain/record/retract-decision.ts';
import { composeChangeReviewMail } from '../../server/delivery/kinds/change-review.ts';
import { alertmanagerPayload, grafanaPayload } from '../intake/fixtures.ts';
import { intakeToken, postAlert } from '../intake/helpers.ts';
import { createList } from '../../server/domain/lists/create-list.ts';
import { AUDIENCE_SSO_SOURCE } from '../../server/domain/lists/list-reading.ts';

// Every text carries a marker naming its audience: `MKpub000123z` may be read by anyone,
// `MKint000123z` by staff only (internal notes, priority reasons, the record, support scripts,
// post-mortem internal parts, scheduled updates before their time, unpublished post-mortems).
// Every surface is rendered for every audience; a public surface must show no internal marker,
// and each marker must reach at least one surface of its own audience (the positive control).
//
// The run is split into parts, one file each (randomized-leak-<n>.test.ts), each with its own
// seed and database, so the parts run side by side instead of one file holding the suite up;
// together they write and check LEAK_PARTS times a part's incidents. A failure names its seed:
// replay it with LEAK_SEED=<seed> (and LEAK_INCIDENTS for a bigger or smaller part) on any part.

/** How many parts (files) the leak test is split into. */
export const LEAK_PARTS = 4;
const FIRST_SEED = 20261206;
const MIN = 60_000;

/** Part `part` (1 to LEAK_PARTS) of the leak test: its own seed, database and incidents. */
export function randomizedLeakTest(part: number): void {
  const incidents = Number(process.env.LEAK_INCIDENTS ?? 1000 / LEAK_PARTS);
  const seed = Number(process.env.LEAK_SEED ?? FIRST_SEED + part - 1);
  describe(`the randomized leak test, part ${part} of ${LEAK_PARTS} (${incidents} incidents, seed ${seed})`, () =>
    leakSuite(incidents, seed));
}

/**
 * An audience's own lists: each named audience gets a list with a member on it before any
 * incident, so broadcasts queue deliveries to it as they choose (`listReading`). Returns the
 * renders of every delivery queued to those lists, composed as the worker composes them at send
 * time, each for its list's audience.
 */
async function audienceListMail(
  t: TestContext,
  named: { slug: string }[],
  sourceOf: (broadcastId: string) => ReturnType<typeof readBroadcastSource>,
) {
  const audienceOf = new Map<string, Audience>();
  for (const a of named) {
    const list = await createList(
      t.deps,
      {
        name: `${a.slug} mail`,
        slug: `${a.slug}-mail`,
        audience: a.slug,
        priorities: [0, 1, 2, 3],
      },
      testActor,
    );
    audienceOf.set(list.id, a.slug as Audience);
    // Acme takes acme.example; the staff audience everyone signed in through the company, as
    // this member did before joining.
    const member = await makeConfirmedSubscriber(
      t.deps,
      `member-${a.slug}@acme.example`,
      list.slug,
    );
    await t.deps.db
      .update(schema.subscribers)
      .set({ source: AUDIENCE_SSO_SOURCE })
      .where(eq(schema.subscribers.id, member.id));
  }
  return async () => {
    const out: { surface: string; audience: Audience; text: string }[] = [];
    const page = await readPageContext(t.deps.db, t.deps.config);
    const rows = await t.deps.db
      .select({ d: schema.deliveries, listId: schema.subscribers.listId })
      .from(schema.deliveries)
      .innerJoin(schema.subscribers, eq(schema.subscribers.id, schema.deliveries.subscriberId))
      .where(inArray(schema.subscribers.listId, [...audienceOf.keys()]));
    expect(rows.length, 'deliveries queued to audience lists').toBeGreaterThan(0);
    const recipients = await readRecipients(t.deps.db, [
      ...new Set(rows.map((r) => r.d.subscriberId)),
    ]);
    for (const { d, listId } of rows) {
      const src = await sourceOf(d.broadcastId);
      const r = recipients.get(d.subscriberId);
      if (!src || !r) continue;
      const mail = composeBroadcastMail(page, src, r, d.messageId, t.clock.now());
      expect(mail, `a member's ${src.broadcast.kind}`).not.toBeNull();
      out.push({
        surface: `audience list email ${src.broadcast.kind}`,
        audience: audienceOf.get(listId)!,
        text: `${mail!.subject}\n${mail!.text}\n${mail!.html}`,
      });
    }
    return out;
  };
}

/** A small seeded generator, so a failure can be replayed with LEAK_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Public, internal (staff), and two named audiences: Acme (some components) and a staff one.
 * `aco` is the text of an incident for Acme only: Acme reads it, and so do staff and the staff
 * audience (which sees every audience-only incident); it has no surface of its own.
 */
type Audience = 'pub' | 'int' | 'acm' | 'stf' | 'aco';
const MARKER = /MK(pub|int|acm|stf|aco)\d{6}z/g;

/**
 * Who may read what: everyone reads public text, staff read everything, a named audience its
 * own text, and the staff audience (which sees internal text) internal text too.
 */
function mayRead(reader: Audience, text: Audience): boolean {
  if (text === 'pub' || reader === 'int' || reader === text) return true;
  if (text === 'aco') return reader === 'acm' || reader === 'stf';
  return reader === 'stf' && text === 'int';
}

/** The audience whose surfaces must show a marker of this kind (the positive control). */
const ownReader = (text: Audience): Audience => (text === 'aco' ? 'acm' : text);

/**
 * Incidents for chosen audiences only, among the last 40 (the window the named audiences'
 * v2 JSON shows, so the positive control finds them): about one in four is for Acme only and
 * one in eight for the staff audience only. Their titles and bodies carry the marker of who
 * may read them (`aco` for Acme only, `stf` for the staff audience), and they must reach no
 * public surface, public list, webhook or chat. Returns the choice for the declaration and
 * the marker kind of its public-looking texts.
 */
function audienceOnlyChoice(
  i: number,
  incidents: number,
  rnd: () => number,
): { audiences: 'everyone' | string[]; text: Audience } {
  if (i < incidents - 40) return { audiences: 'everyone', text: 'pub' };
  const r = rnd();
  if (r < 0.25) return { audiences: ['acm'], text: 'aco' };
  if (r < 0.375) return { audiences: ['stf'], text: 'stf' };
  return { audiences: 'everyone', text: 'pub' };
}

function leakSuite(INCIDENTS: number, SEED: number): void {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let staff: FormClient;
  const markers = new Map<string, Audience>();
  const incidentIds: string[] = [];
  /** Incidents for chosen audiences only: their public page answers 404. */
  const audienceOnlyIds = new Set<string>();
  /** Incidents with a post-mortem saved (published or a draft). */
  const withPostmortem = new Set<string>();
  let n = 0;
  /** What each marker was written into, to name a failure. */
  const writtenInto = new Map<string, string>();
  /** Markers in text a later write replaced: still never leaked, no longer expected on a page. */
  const superseded = new Set<string>();
  const mark = (a: Audience, what = '') => {
    const m = `MK${a}${String(++n).padStart(6, '0')}z`;
    markers.set(m, a);
    writtenInto.set(m, what);
    return m;
  };
  /** Every rendered surface: its name, the audience it renders for, and its text. */
  const rendered: { surface: string; audience: Audience; text: string }[] = [];

  beforeAll(async () => {
    t = await createTestContext({ env: { COMPANY_DOMAINS: 'acme.com' } });
    site = await startSite(t);
    const owner = await makeUser(t, 'responder', 'owner@acme.com');
    // A member of the Acme audience (by domain), to read its page and history.
    await makeUser(t, 'responder', 'ana@acme.example');
    await makeConfirmedSubscriber(t.deps, 'reader@example.org', 'customers');
    await makeConfirmedSubscriber(t.deps, 'insider@acme.com', 'stakeholders');
    for (const internal of [false, true])
      for (const kind of ['webhook', 'slack', 'teams', 'discord'] as const)
        await createWebhook(
          t.deps,
          {
            url: `http://127.0.0.1:9/${kind}-${internal}`,
            kind,
            internal,
            allowPrivate: true,
            priorities: [0, 1, 2, 3],
          },
          testActor,
        );
    const comps = [];
    for (const name of ['API', 'Checkout', 'Search'])
      comps.push(await makeComponent(t.deps, { name }));
    const named = [
      await createAudience(
        t.deps,
        {
          name: 'Acme',
          slug: 'acm',
          memberDomains: ['acme.example'],
          componentIds: [comps[0]!.id, comps[1]!.id],
        },
        testActor,
      ),
      await createAudience(
        t.deps,
        { name: 'Staff', slug: 'stf', everyoneSignedIn: true, seesInternal: true },
        testActor,
      ),
    ];
    // Each broadcast read once for both kinds of list mail below (as the worker reads it once
    // for a batch of its deliveries).
    const sources = new Map<string, ReturnType<typeof readBroadcastSource>>();
    const sourceOf = (id: string) => {
      if (!sources.has(id)) sources.set(id, readBroadcastSource(t.deps.db, id));
      return sources.get(id)!;
    };
    const audienceMail = await audienceListMail(t, named, sourceOf);

    const rnd = prng(SEED);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const maybe = (p: number) => rnd() < p;
    const record = recordAndIntakeMarkers({ t, mark, maybe, ranById: owner.id });
    await record.setup();
    // Named audiences read the incidents in their v2 window (the 50 most recent): their own
    // texts go on the last 40 incidents, so the positive control can find every one.
    // Acme sees only incidents on its components (or on none): its texts go on those.
    const audienceTexts = (i: number, acmeSees: boolean) =>
      i < INCIDENTS - 40
        ? []
        : (['acm', 'stf'] as const)
            .filter((a) => (a === 'stf' || acmeSees) && maybe(0.5))
            .map((a) => ({ audience: a, body: `For ${a} ${mark(a, `${a} text`)}` }));
    for (let i = 0; i < INCIDENTS; i++) {
      t.clock.advance(7 * MIN);
      const priority = pick([0, 1, 2, 3] as const);
      const comp = maybe(0.7) ? pick(comps) : null;
      const only = audienceOnlyChoice(i, INCIDENTS, rnd);
      const acmeSees = (comp === null || comp !== comps[2]) && only.text !== 'stf';
      const { incident } = await declareIncident(
        t.deps,
        {
          title: `Incident ${i} ${mark(only.text, 'title')}`,
          priority,
          body: `Declared ${mark(only.text, 'Declared')}`,
          audiences: only.audiences,
          internalNote: maybe(0.6) ? `Note ${mark('int', 'Note')}` : undefined,
          audienceTexts: only.text === 'pub' ? audienceTexts(i, acmeSees) : [],
          components: comp
            ? [{ componentId: comp.id, status: pick(['partial_outage', 'major_outage']) }]
            : [],
        },
        testActor,
      );
      const id = incident.id;
      incidentIds.push(id);
      await record.perIncident(id);
      if (only.text !== 'pub') audienceOnlyIds.add(id);
      const updates = Math.floor(rnd() * 3);
      for (let k = 0; k < updates; k++) {
        t.clock.advance(MIN);
        await postIncidentUpdate(
          t.deps,
          {
            incidentId: id,
            body: `Update ${mark(only.text, 'Update')}`,
            internalNote: maybe(0.5) ? `Note ${mark('int', 'Note')}` : undefined,
            audienceTexts: only.text === 'pub' ? audienceTexts(i, acmeSees) : [],
          },
          testActor,
        );
      }
      if (maybe(0.2))
        await changeIncidentPriority(
          t.deps,
          {
            incidentId: id,
            priority: ((priority + 1 + Math.floor(rnd() * 3)) % 4) as 0 | 1 | 2 | 3,
            reason: `Why ${mark('int', 'priority reason')}`,
          },
          testActor,
        );
      if (maybe(0.3))
        await setIncidentFacts(
          t.deps,
          {
            incidentId: id,
            facts: {
              cause: `Cause ${mark('int', 'Cause')}`,
              legal: `Legal ${mark('int', 'Legal')}`,
            },
          },
          testActor,
        );
      if (maybe(0.3))
        await logDecision(
          t.deps,
          { incidentId: id, decision: `Decide ${mark('int', 'Decide')}` },
          testActor,
        );
      if (maybe(0.3))
        await logChange(
          t.deps,
          {
            incidentId: id,
            what: `UPDATE orders ${mark('int', 'UPDATE orders')}`,
            target: `prod-db-${mark('int', 'target')}`,
            ranById: owner.id,
            backupTaken: maybe(0.5),
            triedOnSample: maybe(0.5),
          },
          testActor,
        );
      if (maybe(0.2))
        await addActionItem(
          t.deps,
          {
            incidentId: id,
            title: `Act ${mark('int', 'Act')}`,
            kind: 'prevent',
            ownerId: owner.id,
            dueAt: new Date(t.clock.now().getTime() + 30 * 24 * 60 * MIN),
            phase: 'after',
          },
          testActor,
        );
      const say = maybe(0.2) ? mark('int', 'Say') : null;
      if (say) await saveSupportScript(t.deps, { incidentId: id, body: `Say ${say}` }, testActor);
      if (maybe(0.6)) {
        t.clock.advance(MIN);
        // Resolving replaces the support script with its closing version, which the all-clear
        // carries: that text is internal too.
        await resolveIncident(
          t.deps,
          {
            incidentId: id,
            body: `Resolved ${mark(only.text, 'Resolved')}`,
            internalNote: maybe(0.4) ? `Note ${mark('int', 'Note')}` : undefined,
            supportScript: say ? `Say now ${mark('int', 'Say now')}` : undefined,
          },
          testActor,
        );
        if (say) superseded.add(say);
        if (maybe(0.5)) {
          const published = maybe(0.6);
          // A public part is public only once published; until then it is the team's draft.
          withPostmortem.add(id);
          await savePostmortem(
            t.deps,
            {
              incidentId: id,
              publicBody: `What happened ${mark(published ? only.text : 'int', 'public part')}`,
              internalBody: `The record ${mark('int', 'The record')}`,
            },
            testActor,
          );
          if (published)
            await publishPostmortem(t.deps, { incidentId: id, notify: maybe(0.5) }, testActor);
        }
      } else if (maybe(0.3)) {
        // Scheduled for after the test's clock: not public yet.
        await scheduleIncidentUpdate(
          t.deps,
          {
            incidentId: id,
            body: `Later ${mark('int', 'Later')}`,
            scheduledFor: new Date(t.clock.now().getTime() + 300 * 24 * 60 * MIN),
          },
          testActor,
        );
      }
    }

    await record.afterIncidents(INCIDENTS);

    // Signed in only now: a keep-alive socket left idle through the writes above would have
    // been closed by the server by the time the first page is asked for.
    staff = new FormClient(site.base);
    await staff.login('owner@acme.com');

    // Public audience: the v2 API, the feeds, the embed and badge, every page.
    const get = async (
      surface: string,
      path: string,
      audience: Audience,
      viaSite = false,
      status = 200,
    ) => {
      const res = viaSite
        ? await fetch(site.base + path, { redirect: 'manual' }).catch((e: Error) => {
            throw new Error(`${path}: ${e.message} ${String(e.cause)}`);
          })
        : await t.app.request(path);
      expect(res.status, path).toBe(status);
      rendered.push({ surface, audience, text: await res.text() });
    };
    for (const p of [
      '/api/v2/summary.json',
      '/api/v2/status.json',
      '/api/v2/components.json',
      '/api/v2/incidents.json',
      '/api/v2/incidents/unresolved.json',
      '/api/v2/scheduled-maintenances.json',
      '/api/v2/scheduled-maintenances/upcoming.json',
      '/api/v2/scheduled-maintenances/active.json',
    ])
      await get(`v2 ${p}`, p, 'pub');
    await get('feed rss', '/history.rss', 'pub');
    await get('feed atom', '/history.atom', 'pub');
    await get('embed', '/api/embed.json', 'pub');
    await get('badge', '/badge.svg', 'pub');
    for (const c of comps) await get('badge component', `/badge.svg?component=${c.id}`, 'pub');
    await get('page /', '/', 'pub', true);
    await get('page /maintenance', '/maintenance', 'pub', true);
    await get('page /uptime', '/uptime', 'pub', true);
    const pages = Math.ceil((INCIDENTS - audienceOnlyIds.size) / 20);
    for (let p = 1; p <= pages; p++) await get('page /history', `/history?page=${p}`, 'pub', true);
    for (const id of incidentIds)
      await get(
        'page /incidents/:id',
        `/incidents/${id}`,
        'pub',
        true,
        audienceOnlyIds.has(id) ? 404 : 200,
      );

    // Internal audience: the admin pages staff read (straight after the public pages, so no
    // kept-alive connection sits idle long enough for the server to close it). Staff may read
    // every marker, so these pages are the positive control for internal text, never a leak:
    // an incident's post-mortem page is read where a post-mortem was written (its parts are
    // shown nowhere else); the others show only what the incident's own page shows.
    for (const id of incidentIds) {
      const a = await staff.get(`/admin/incidents/${id}`);
      rendered.push({ surface: 'admin incident page', audience: 'int', text: a.html });
      if (!withPostmortem.has(id)) continue;
      const pm = await staff.get(`/admin/incidents/${id}/postmortem`);
      rendered.push({ surface: 'admin post-mortem page', audience: 'int', text: pm.html });
    }

    await record.render(rendered, staff);
    // The audiences' own pages, read straight after the admin pages like them: a kept-alive
    // connection left idle through the mail and payload rendering below would have been closed.
    // Each audience's own incident pages: every incident for chosen audiences only, and a
    // sample of the others (a 404 for what the audience does not see is no render).
    const sampled = [
      ...incidentIds.filter((id) => audienceOnlyIds.has(id)),
      ...incidentIds.filter((id) => !audienceOnlyIds.has(id)).slice(0, 30),
    ];
    await renderAudiencePages(site.base, named, rendered, staff, sampled);

    // Both audiences: every email kind as composed for a public list and for an internal list,
    // and every webhook and chat payload for a public and an internal channel.
    const page = await readPageContext(t.deps.db, t.deps.config);
    const subs = await t.deps.db.select().from(schema.subscribers);
    const recipients = await readRecipients(
      t.deps.db,
      subs.map((s) => s.id),
    );
    const broadcasts = await t.deps.db.select().from(schema.broadcasts);
    // An audience-only incident's broadcast is queued for internal lists only: compose it for
    // the recipients it was queued for (a public one would be flagged as a leak).
    const queued = new Set(
      (await t.deps.db.select().from(schema.deliveries)).map(
        (d) => `${d.broadcastId} ${d.subscriberId}`,
      ),
    );
    for (const b of broadcasts) {
      const src = await sourceOf(b.id);
      if (!src) continue;
      for (const r of recipients.values()) {
        // An audience's lists are rendered by audienceListMail, for their audience.
        if (r.list.audience) continue;
        if (
          b.incidentId &&
          audienceOnlyIds.has(b.incidentId) &&
          !queued.has(`${b.id} ${r.subscriberId}`)
        )
          continue;
        const mail = composeBroadcastMail(page, src, r, `<${b.id}@x>`, t.clock.now());
        if (!mail) continue;
        rendered.push({
          surface: `email ${b.kind}`,
          audience: r.list.isInternal ? 'int' : 'pub',
          text: `${mail.subject}\n${mail.text}\n${mail.html}`,
        });
      }
    }
    const hooks = await t.deps.db.select().from(schema.webhooks);
    const published = await t.deps.db
      .select({ id: schema.incidentUpdates.id, incidentId: schema.incidentUpdates.incidentId })
      .from(schema.incidentUpdates);
    const claimed = hooks.flatMap((w) =>
      published.map((u, k) => ({
        id: `${w.id}-${k}`,
        webhook_id: w.id,
        event: 'incident.updated',
        ref: JSON.stringify({ incidentId: u.incidentId, updateId: u.id }),
        attempts: 0,
        created_at: t.clock.now().getTime(),
      })),
    );
    const byHook = new Map(hooks.map((w) => [w.id, w]));
    const messages = await readWebhookMessages(t.deps.db, t.deps.config, claimed, t.clock.now());
    for (const c of claimed) {
      const m = messages.get(c.id);
      if (!m || 'unreadable' in m) continue;
      const r = renderWebhookRequest(m);
      const w = byHook.get(c.webhook_id)!;
      rendered.push({
        surface: `${w.kind} payload`,
        audience: w.internal ? 'int' : 'pub',
        text: r.body,
      });
    }

    rendered.push(...(await audienceMail()));

    // Named audiences: their v2 JSON and feeds, opened with their tokens.
    const key = await linkKey(t.deps.db, t.deps.config);
    for (const a of named) {
      const token = audienceFeedToken(key, a);
      for (const p of [
        '/api/v2/summary.json',
        '/api/v2/incidents.json',
        '/history.rss',
        '/history.atom',
      ])
        await get(`audience ${p}`, `/a/${a.slug}${p}?token=${token}`, a.slug as Audience);
    }
  }, 600_000);
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('no marker reaches a reader outside its audience, and every marker reaches its own', () => {
    const { seen, leaks, unknown } = checkRenders(rendered, markers);
    expect(unknown.slice(0, 20), 'unknown markers').toEqual([]);
    expect(leaks.slice(0, 20)).toEqual([]);
    const missing = [...markers]
      .filter(([m, a]) => !superseded.has(m) && !seen.get(m)?.has(ownReader(a)))
      .map(([m]) => `${m} (${writtenInto.get(m)})`);
    expect(missing.slice(0, 20)).toEqual([]);
    const surfaces = new Set(rendered.map((r) => `${r.audience} ${r.surface}`));
    const byAudience = { pub: 0, int: 0, acm: 0, stf: 0, aco: 0 };
    for (const a of markers.values()) byAudience[a]++;
    const audiences = new Set(rendered.map((r) => r.audience));
    const renders = { pub: 0, int: 0, acm: 0, stf: 0, aco: 0 };
    for (const r of rendered) renders[r.audience]++;
    console.log(
      `leak test: ${INCIDENTS} incidents (${audienceOnlyIds.size} for chosen audiences only), ${markers.size} markers ${JSON.stringify(byAudience)}; ` +
        `${surfaces.size} kinds of surface across ${audiences.size} audiences, ${rendered.length} renders ` +
        `${JSON.stringify(renders)}; ${rendered.length * markers.size} (render, marker) pairs checked`,
    );
  });

  it('an internal note written into a public column is reported as a leak on the public surfaces', async () => {
    // The control: the check above can fail. An internal note's marker is planted in the public
    // body of a published update, as a write path that stored the wrong column would; the
    // incident's public page and the v2 JSON then show it, and the same check reports both.
    const note = [...markers].find(([m, a]) => a === 'int' && writtenInto.get(m) === 'Note')?.[0];
    expect(note, 'an internal note marker').toBeDefined();
    const id = incidentIds.findLast((i) => !audienceOnlyIds.has(i))!;
    const [u] = await t.deps.db
      .select({ id: schema.incidentUpdates.id })
      .from(schema.incidentUpdates)
      .where(
        and(
          eq(schema.incidentUpdates.incidentId, id),
          eq(schema.incidentUpdates.state, 'published'),
        ),
      )
      .limit(1);
    await t.deps.db
      .update(schema.incidentUpdates)
      .set({ body: sql`${schema.incidentUpdates.body} || ${` ${note}`}` })
      .where(eq(schema.incidentUpdates.id, u!.id));
    // Caches are keyed by the change counter: a write that does not bump it would not show.
    await t.deps.db
      .update(schema.settings)
      .set({ changeCounter: sql`${schema.settings.changeCounter} + 1` })
      .where(eq(schema.settings.id, 1));
    // On a new connection: a kept-alive one has sat idle through the first test's checks.
    const page = await getOnNewConnection(`${site.base}/incidents/${id}`);
    expect(page.status).toBe(200);
    const v2 = await t.app.request('/api/v2/incidents.json');
    const planted = [
      { surface: 'page /incidents/:id', audience: 'pub' as const, text: page.text },
      { surface: 'v2 /api/v2/incidents.json', audience: 'pub' as const, text: await v2.text() },
    ];
    expect(checkRenders(planted, markers).leaks).toEqual([
      `${note} (int) on pub page /incidents/:id`,
      `${note} (int) on pub v2 /api/v2/incidents.json`,
    ]);
  });
}

/** A GET on a connection of its own, closed after the answer. */
function getOnNewConnection(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * Every marker on every render: which audiences saw it, each one a reader saw outside its
 * audience (a leak, named by marker, its audience and the surface), and markers nobody wrote.
 */
function checkRenders(
  rendered: readonly { surface: string; audience: Audience; text: string }[],
  markers: ReadonlyMap<string, Audience>,
) {
  const seen = new Map<string, Set<Audience>>();
  const leaks: string[] = [];
  const unknown: string[] = [];
  for (const r of rendered) {
    for (const m of r.text.matchAll(MARKER)) {
      const marker = m[0];
      const audience = markers.get(marker);
      if (!audience) {
        unknown.push(`${marker} on ${r.audience} ${r.surface}`);
        continue;
      }
      if (!seen.has(marker)) seen.set(marker, new Set());
      seen.get(marker)!.add(r.audience);
      // Staff may read everything; a public reader only public text.
      if (!mayRead(r.audience, audience))
        leaks.push(`${marker} (${audience}) on ${r.audience} ${r.surface}`);
    }
  }
  return { seen, leaks, unknown };
}

/**
 * Internal text that reaches staff outside the incident's own pages: the change-review request
 * mailed to a named reviewer, a retracted decision's reason, and alerts taken in from
 * Alertmanager and Grafana (labels and annotations on the triage report they file). Each
 * carries an internal marker; `render` adds the surfaces staff read them on (the reviewer's
 * mail, the alert reports' admin pages), and the public surfaces rendered by the suite must
 * show none of them.
 */
function recordAndIntakeMarkers(c: {
  t: TestContext;
  mark: (a: Audience, what?: string) => string;
  maybe: (p: number) => boolean;
  ranById: string;
}) {
  let reviewerId = '';
  let intake = '';
  const written = { changeReview: 0, retraction: 0, alert: 0 };
  const mark = (kind: keyof typeof written, what: string) => {
    written[kind]++;
    return c.mark('int', what);
  };
  return {
    async setup() {
      reviewerId = (await makeUser(c.t, 'responder', 'reviewer@acme.com')).id;
      intake = await intakeToken(c.t, 'leak-test');
    },
    async perIncident(incidentId: string) {
      if (c.maybe(0.15))
        await logChange(
          c.t.deps,
          {
            incidentId,
            what: `DELETE FROM carts ${mark('changeReview', 'change for review')}`,
            target: `prod-db-${mark('changeReview', 'change for review: target')}`,
            ranById: c.ranById,
            reviewerId,
            backupTaken: true,
            triedOnSample: false,
          },
          testActor,
        );
      if (c.maybe(0.15)) {
        const d = await logDecision(
          c.t.deps,
          { incidentId, decision: `Page the DBA ${mark('retraction', 'retracted decision')}` },
          testActor,
        );
        await retractDecision(
          c.t.deps,
          { decisionId: d.id, reason: `Logged twice ${mark('retraction', 'retraction reason')}` },
          testActor,
        );
      }
    },
    /** A few alert groups from each source, each its own report, every text marked. */
    async afterIncidents(incidents: number) {
      const groups = Math.max(2, Math.round(incidents / 50));
      for (let g = 0; g < groups; g++) {
        const am = alertmanagerPayload();
        const alert = am.alerts[0]!;
        alert.labels.instance = `db-${mark('alert', 'alertmanager label')}`;
        alert.annotations.summary = `Disk full ${mark('alert', 'alertmanager summary')}`;
        alert.fingerprint = `am${g}`;
        const r1 = await postAlert(c.t, 'alertmanager', intake, {
          ...am,
          commonLabels: {},
          commonAnnotations: {},
          groupKey: `{}:{leak="am${g}"}`,
        });
        expect(r1.status, JSON.stringify(r1.json)).toBeLessThan(300);
        const gf = grafanaPayload();
        gf.alerts = [gf.alerts[0]!];
        const galert = gf.alerts[0]!;
        galert.labels.zone = `zone-${mark('alert', 'grafana label')}`;
        galert.annotations.summary = `Memory high ${mark('alert', 'grafana summary')}`;
        galert.fingerprint = `gf${g}`;
        const r2 = await postAlert(c.t, 'grafana', intake, {
          ...gf,
          commonLabels: {},
          message: '',
          title: `[FIRING:1] leak ${g}`,
          groupKey: `{}:{leak="gf${g}"}`,
        });
        expect(r2.status, JSON.stringify(r2.json)).toBeLessThan(300);
      }
    },
    async render(
      rendered: { surface: string; audience: Audience; text: string }[],
      staff: FormClient,
    ) {
      const page = await readPageContext(c.t.deps.db, c.t.deps.config);
      const mails = await c.t.deps.db
        .select()
        .from(schema.outboxMessages)
        .where(eq(schema.outboxMessages.kind, 'change_review_request'));
      for (const m of mails) {
        const mail = await composeChangeReviewMail(
          c.t.deps.db,
          page,
          { toAddress: m.toAddress, payload: m.payload as object, messageId: m.messageId },
          c.t.clock.now(),
        );
        if (mail)
          rendered.push({
            surface: 'email change_review_request',
            audience: 'int',
            text: `${mail.subject}\n${mail.text}\n${mail.html}`,
          });
      }
      const reports = await c.t.deps.db
        .select({ id: schema.reports.id })
        .from(schema.reports)
        .where(eq(schema.reports.kind, 'bug'));
      for (const r of reports) {
        const a = await staff.get(`/admin/reports/${r.id}`);
        rendered.push({ surface: 'admin alert report page', audience: 'int', text: a.html });
      }
      console.log(
        `leak test, record and intake: ${written.changeReview} change-review markers (${mails.length} review mails), ` +
          `${written.retraction} retracted-decision markers, ${written.alert} alert markers (${reports.length} alert reports)`,
      );
    },
  };
}

/**
 * The named audiences' own pages, as a member signed in reads them: each audience's page and
 * every page of its full history (public and audience-only incidents).
 */
async function renderAudiencePages(
  base: string,
  named: { slug: string }[],
  rendered: { surface: string; audience: Audience; text: string }[],
  staff: FormClient,
  incidentIds: string[],
) {
  const members: Record<string, string> = { acm: 'ana@acme.example', stf: 'owner@acme.com' };
  for (const a of named) {
    const member = new FormClient(base);
    // The staff audience's member is the staff user already signed in: their session, copied,
    // rather than a second password check (a tenth of a second of CPU on purpose).
    if (members[a.slug] === 'owner@acme.com') member.cookies = new Map(staff.cookies);
    else await member.login(members[a.slug]!);
    const home = await member.get(`/a/${a.slug}`);
    expect(home.res.status, `/a/${a.slug}`).toBe(200);
    rendered.push({ surface: 'audience page', audience: a.slug as Audience, text: home.html });
    for (let p = 1; ; p++) {
      const h = await member.get(`/a/${a.slug}/history?page=${p}`);
      if (h.res.status === 404) break;
      expect(h.res.status).toBe(200);
      rendered.push({ surface: 'audience history', audience: a.slug as Audience, text: h.html });
    }
    for (const id of incidentIds) {
      const page = await member.get(`/a/${a.slug}/incidents/${id}`);
      if (page.res.status === 404) continue;
      expect(page.res.status, `/a/${a.slug}/incidents/${id}`).toBe(200);
      rendered.push({
        surface: 'audience incident page',
        audience: a.slug as Audience,
        text: page.html,
      });
    }
  }
}
