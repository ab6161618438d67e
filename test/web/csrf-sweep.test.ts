import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as schema from '../../db/schema/index.ts';
import { createList } from '../../server/domain/lists/create-list.ts';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { readerLinkToken, requestReaderSignIn } from '../../server/domain/auth/reader-sign-in.ts';
import { linkKey } from '../../server/domain/subscribers/tokens.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { decideReport } from '../../server/domain/reports/decide-report.ts';
import { requestReportLink } from '../../server/domain/reports/request-report-link.ts';
import { createUser } from '../../server/domain/users/create-user.ts';
import { requestSubscription } from '../../server/domain/subscribers/request-subscription.ts';
import { publicActor } from '../../server/domain/subscribers/public-actor.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { signUpPublicWebhook } from '../../server/domain/webhooks/public-signup.ts';
import { postWebhook } from '../../server/delivery/webhook-channel.ts';
import { startReceiver } from '../channels/receiver.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { fingerprintWatch } from '../helpers/fingerprint-watch.ts';
import { makeComponent, makeIncident, makeUserActor } from '../helpers/factories.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite, TEST_PASSWORD, useSite } from '../helpers/site.ts';
import { listBySlug, makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { answers, fileReport } from '../triage/helpers.ts';

const pagesDir = fileURLToPath(new URL('../../site/src/pages/', import.meta.url));

/** Every page file that acts on a POST, as its route pattern (`/admin/incidents/[id]`). */
function postingPages(dir = pagesDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return postingPages(full);
    if (!e.name.endsWith('.astro') || !readFileSync(full, 'utf8').includes("'POST'")) return [];
    const route = `/${path.relative(pagesDir, full)}`
      .replace(/\.astro$/, '')
      .replace(/\/index$/, '');
    return [route === '' ? '/' : route];
  });
}

/**
 * Everything stored, minus what a refused request may touch (when a session was last seen, and
 * the expiry that moves with it), hashed in SQLite and again only after a commit
 * (`fingerprintWatch`): the sweep compares the store about 200 times.
 */
let store: ReturnType<typeof fingerprintWatch>;
async function snapshot(): Promise<string> {
  return JSON.stringify(await store.take());
}

function localIn(t: TestContext, hours: number): string {
  return new Date(t.clock.now().getTime() + hours * 3600_000).toISOString().slice(0, 16);
}

interface Case {
  /** The page file's route pattern, to check the sweep covers every posting page. */
  page: string;
  /** Where the form is shown and posted. */
  path: string;
  fields: Record<string, string | string[]>;
  /** Who sends it (a fresh signed-in client or an anonymous one). */
  client: () => Promise<FormClient>;
  /** Whether the accepted post writes something (false: it runs and answers, e.g. a 404). */
  writes?: boolean;
  /** The status of the accepted post: 303 for forms that redirect, 200 for in-place answers. */
  status?: number;
}

describe('CSRF sweep over every form the site accepts', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  const cases: Case[] = [];
  const viewerEmail = 'viewer-sweep@acme.com';
  /** Cookies of the one session each address signed in with (see `signedIn`). */
  const sessions = new Map<string, Map<string, string>>();
  let viewer: () => Promise<FormClient>;
  beforeAll(async () => {
    // Reports are for company addresses; the follow-by-webhook form posts a loopback receiver.
    t = await createTestContext({
      env: {
        COMPANY_DOMAINS: 'acme.com',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        PUBLIC_WEBHOOK_SIGNUP: 'true',
      },
    });
    site = await startSite(t);
    store = fingerprintWatch(t, {
      leaveOut: [
        'sessions.last_seen_at',
        'sessions.expires_at',
        'reader_sessions.last_seen_at',
        'reader_sessions.expires_at',
      ],
    });
    const admin = await makeUser(t, 'admin');
    await createUser(
      t.deps,
      { email: viewerEmail, name: 'Viewer', role: 'viewer', password: TEST_PASSWORD },
      testActor,
    );
    /**
     * A fresh client signed in as `email`: the first one signs in through /login, every later
     * one starts from a copy of its cookies (the same session, its own cookie jar). Checking a
     * password costs about 0.1 s of CPU on purpose, and the sweep opens about 70 clients; no
     * case here ends its signer's session except the sign-out case, whose user signs in only
     * there.
     */
    const signedIn = async (email = admin.email) => {
      const c = new FormClient(site.base);
      const session = sessions.get(email);
      if (session) c.cookies = new Map(session);
      else {
        await c.login(email);
        sessions.set(email, new Map(c.cookies));
      }
      return c;
    };
    viewer = () => signedIn(viewerEmail);
    const anonymous = async () => new FormClient(site.base);
    // Readers of an audience page: a fresh one-time link each time, and a signed-in reader.
    const sweepAudience = await createAudience(
      t.deps,
      { name: 'Sweep audience', slug: 'sweep', memberDomains: ['acme.com'] },
      testActor,
    );
    const readerLink = async (email: string) => {
      await requestReaderSignIn(t.deps, { slug: 'sweep', email });
      const [row] = await t.deps.db
        .select()
        .from(schema.readerSignInLinks)
        .where(eq(schema.readerSignInLinks.email, email));
      const token = readerLinkToken(
        await linkKey(t.deps.db, t.deps.config),
        row!.id,
        row!.expiresAt,
      );
      return `/a/sweep/sign-in/${token}`;
    };
    const signedInReader = async () => {
      const c = new FormClient(site.base);
      const link = await readerLink(`reader-${Math.random().toString(36).slice(2)}@acme.com`);
      await c.get(link);
      const r = await c.post(link, {});
      if (r.res.status !== 303) throw new Error(`reader sign-in failed: ${r.res.status}`);
      return c;
    };
    const oneLink = await readerLink('sweep-reader@acme.com');
    const sweepList = await createList(
      t.deps,
      { name: 'Sweep mail', audience: 'sweep' },
      testActor,
    );
    /** A signed-in reader who has opened the audience page (its forms carry the token). */
    const readerOnPage = async () => {
      const c = await signedInReader();
      await c.get('/a/sweep');
      return c;
    };
    cases.push(
      {
        page: '/a/[slug]/lists',
        path: '/a/sweep/lists',
        fields: { listId: sweepList.id, action: 'join' },
        client: readerOnPage,
      },
      {
        page: '/a/[slug]/sign-in',
        path: '/a/sweep/sign-in',
        fields: { email: 'someone@acme.com' },
        client: anonymous,
      },
      { page: '/a/[slug]/sign-in/[token]', path: oneLink, fields: {}, client: anonymous },
      { page: '/a/[slug]/sign-out', path: '/a/sweep/sign-out', fields: {}, client: signedInReader },
      // Passwords are on already: the accepted post changes nothing (switching them off needs
      // single sign-on, which this Herald has not).
      {
        page: '/admin/sign-in',
        path: '/admin/sign-in',
        fields: { localPasswords: 'on' },
        client: signedIn,
        writes: false,
      },
    );
    const { incident } = await makeIncident(t.deps, { priority: 2, title: 'Sweep incident' });
    const window = await scheduleMaintenance(
      t.deps,
      {
        title: 'Sweep window',
        description: 'Planned.',
        scheduledFor: new Date(t.clock.now().getTime() + 3600_000),
        scheduledUntil: new Date(t.clock.now().getTime() + 7200_000),
        notify: false,
      },
      testActor,
    );
    // A visitor's webhook, added as /subscribe adds it (its test answered by a real receiver).
    const receiver = await startReceiver();
    const visitorHook = await signUpPublicWebhook(
      t.deps,
      { url: receiver.url, events: ['incident.created'] },
      (req) => postWebhook(req, t.clock.now(), { timeoutMs: 2000, maxBytes: 1024, event: 'test' }),
    );
    await receiver.close();
    const customers = await listBySlug(t.deps, 'customers');
    const manage = await makeConfirmedSubscriber(t.deps, 'manage-sweep@example.org');
    await requestSubscription(t.deps, { email: 'confirm-sweep@example.org' }, publicActor);
    await requestReportLink(t.deps, { email: 'link-sweep@acme.com' });
    await testWorker(t).drain();
    const outbox = path.join(t.dir, 'outbox');
    const mails = await Promise.all(
      readdirSync(outbox).map((f) => PostalMime.parse(readFileSync(path.join(outbox, f), 'utf8'))),
    );
    const confirmMail = mails.find((m) => m.to?.[0]?.address === 'confirm-sweep@example.org')!;
    const confirmPath = linkPath(confirmMail.text!, '/confirm/');
    const reportPath = linkPath(
      mails.find((m) => m.to?.[0]?.address === 'link-sweep@acme.com')!.text!,
      '/report/',
    );
    const other = await makeUser(t, 'responder');
    const scheduledFor = localIn(t, 24);
    const reporter = await makeUserActor(t.deps, 'reporter-sweep@acme.com');
    const triager = await makeUserActor(t.deps, 'triager-sweep@acme.com', 'admin');
    const undecided = await fileReport(t, reporter, { whatHappened: 'Undecided report' });
    const rerated = await fileReport(t, reporter, { priority: 1, whatHappened: 'Rerated report' });
    await decideReport(
      t.deps,
      {
        reportId: rerated.id,
        action: 'rerate',
        priority: 2,
        reason: 'One customer, a workaround.',
      },
      triager,
    );
    const { incident: resolved } = await makeIncident(t.deps, { title: 'Sweep resolved' });
    await resolveIncident(t.deps, { incidentId: resolved.id, body: 'Fixed.' }, testActor);
    const component = await makeComponent(t.deps, { name: 'Sweep database' });
    const { webhook } = await createWebhook(
      t.deps,
      { url: 'http://127.0.0.1:9/sweep', allowPrivate: true },
      testActor,
    );

    cases.push(
      {
        page: '/login',
        path: '/login',
        fields: { email: admin.email, password: TEST_PASSWORD },
        client: anonymous,
      },
      { page: '/logout', path: '/logout', fields: {}, client: () => signedIn(other.email) },
      {
        page: '/confirm/[token]',
        path: confirmPath,
        fields: {},
        client: anonymous,
        status: 200,
      },
      {
        page: '/manage/[token]',
        path: `/manage/${manage.token}`,
        fields: { action: 'unsubscribe' },
        client: anonymous,
        status: 200,
      },
      {
        page: '/admin/incidents/new',
        path: '/admin/incidents/new',
        fields: { title: 'Forged', priority: '2', status: 'investigating', body: 'x' },
        client: signedIn,
      },
      {
        page: '/admin/incidents/[id]',
        path: `/admin/incidents/${incident.id}`,
        fields: { _action: 'priority', priority: '3', reason: 'It is cosmetic' },
        client: signedIn,
      },
      {
        page: '/admin/incidents/[id]/holding',
        path: `/admin/incidents/${incident.id}/holding`,
        fields: {},
        client: signedIn,
      },
      {
        page: '/admin/incidents/[id]/schedule',
        path: `/admin/incidents/${incident.id}/schedule`,
        fields: { scheduledFor, status: 'identified', body: 'Later.' },
        client: signedIn,
      },
      {
        page: '/admin/incidents/[id]/promises',
        path: `/admin/incidents/${incident.id}/promises`,
        fields: { autoHolding: 'on' },
        client: signedIn,
      },
      {
        page: '/admin/scheduled/new',
        path: '/admin/scheduled/new',
        fields: { title: 'Planned', priority: '2', scheduledFor, status: 'identified', body: 'x' },
        client: signedIn,
      },
      {
        page: '/admin/scheduled/[id]',
        path: '/admin/scheduled/no-such-update',
        fields: { _action: 'cancel' },
        client: signedIn,
        writes: false,
      },
      {
        page: '/admin/switch',
        path: '/admin/switch',
        fields: { _action: 'on', message: 'Forged maintenance' },
        client: signedIn,
      },
      {
        page: '/admin/maintenance',
        path: '/admin/maintenance',
        fields: {
          title: 'Forged window',
          description: 'Forged.',
          scheduledFor,
          scheduledUntil: localIn(t, 26),
        },
        client: signedIn,
      },
      {
        page: '/admin/maintenance/[id]',
        path: `/admin/maintenance/${window.id}`,
        fields: { _action: 'start', body: 'Starting now.' },
        client: signedIn,
      },
      {
        page: '/admin/components',
        path: '/admin/components',
        fields: { _action: 'create', name: 'Forged component' },
        client: signedIn,
      },
      {
        page: '/admin/settings',
        path: '/admin/settings',
        fields: { pageName: 'Forged', publicUrl: '', timeZone: 'Etc/UTC' },
        client: signedIn,
      },
      {
        page: '/admin/users',
        path: '/admin/users',
        fields: {
          _action: 'create',
          email: 'forged@example.com',
          role: 'admin',
          password: 'long enough pw',
        },
        client: signedIn,
      },
      {
        page: '/admin/alert-rules',
        path: '/admin/alert-rules',
        fields: { _action: 'create', name: 'forged', priority: '0', declare: 'on' },
        client: signedIn,
      },
      {
        page: '/admin/tokens',
        path: '/admin/tokens',
        fields: { _action: 'create', name: 'forged', role: 'admin' },
        client: signedIn,
        status: 200,
      },
      {
        page: '/admin/account',
        path: '/admin/account',
        fields: {
          currentPassword: TEST_PASSWORD,
          newPassword: 'a forged new password',
          newPasswordConfirm: 'a forged new password',
        },
        client: async () => signedIn((await makeUser(t, 'responder')).email),
      },
      {
        page: '/admin/audiences',
        path: '/admin/audiences',
        fields: { name: 'Forged audience', slug: 'forged-audience', memberDomains: 'acme.com' },
        client: signedIn,
      },
      // Giving the audience new feed addresses: the old ones stop working.
      {
        page: '/admin/audiences/[id]',
        path: `/admin/audiences/${sweepAudience.id}`,
        fields: { _action: 'revoke' },
        client: signedIn,
      },
      {
        page: '/admin/lists',
        path: '/admin/lists',
        fields: { name: 'Forged list', slug: 'forged', priorities: ['0', '1'] },
        client: signedIn,
      },
      {
        page: '/admin/lists/[id]',
        path: `/admin/lists/${customers.id}`,
        fields: {
          name: 'Customers',
          description: 'Changed by a forged form',
          priorities: ['0', '1'],
        },
        client: signedIn,
      },
      {
        page: '/admin/subscribers',
        path: '/admin/subscribers',
        fields: { _action: 'import', listId: customers.id, csv: 'email\nimported@example.org' },
        client: signedIn,
      },
      {
        page: '/admin/drills',
        path: '/admin/drills',
        fields: {
          title: 'Forged drill',
          scenario: 'The cache is gone.',
          priority: '2',
          participantIds: admin.id,
          scheduledFor,
        },
        client: signedIn,
      },
      {
        page: '/admin/incidents/[id]/postmortem',
        path: `/admin/incidents/${resolved.id}/postmortem`,
        fields: { _action: 'save', publicBody: '# Post-mortem\n\nForged.' },
        client: signedIn,
      },
      {
        page: '/admin/incidents/[id]/record',
        path: `/admin/incidents/${incident.id}/record`,
        fields: { _action: 'decision', decision: 'Fail over to the replica', why: 'Forged.' },
        client: signedIn,
      },
      {
        page: '/admin/incidents/[id]/support-script',
        path: `/admin/incidents/${incident.id}/support-script`,
        fields: { body: 'Tell customers a forged story.' },
        client: signedIn,
      },
      {
        page: '/admin/reports/[id]',
        path: `/admin/reports/${undecided.id}`,
        fields: { action: 'accept' },
        client: signedIn,
      },
      {
        page: '/admin/reports/settings',
        path: '/admin/reports/settings',
        fields: { triageMinutesP0: '17', triageMinutesP1: '71', p1BudgetPerWeek: '4' },
        client: signedIn,
      },
      {
        page: '/admin/runbooks/[componentId]',
        path: `/admin/runbooks/${component.id}`,
        fields: { body: 'Forged: drop the primary.' },
        client: signedIn,
      },
      {
        page: '/admin/webhooks',
        path: '/admin/webhooks',
        fields: { url: 'http://127.0.0.1:9/forged', kind: 'webhook', allowPrivate: 'on' },
        client: signedIn,
        status: 200,
      },
      {
        page: '/admin/webhooks/[id]',
        path: `/admin/webhooks/${webhook.id}`,
        fields: { _action: 'delete' },
        client: signedIn,
      },
      { page: '/report', path: '/report', fields: { email: 'forged@acme.com' }, client: anonymous },
      { page: '/report/[token]', path: reportPath, fields: answers(), client: anonymous },
      {
        page: '/report/status/[token]',
        path: `/report/status/${rerated.statusToken}`,
        fields: { reason: 'Forged: three customers are blocked.' },
        client: anonymous,
      },
      {
        page: '/subscribe/incident/[id]',
        path: `/subscribe/incident/${incident.id}`,
        fields: { url: 'http://127.0.0.1:9/follow' },
        client: anonymous,
        status: 200,
      },
      {
        page: '/subscribe/incident/[id]',
        path: `/subscribe/incident/${incident.id}`,
        fields: { via: 'email', email: 'follow-sweep@example.org' },
        client: anonymous,
        status: 200,
      },
      {
        page: '/manage/webhook/[token]',
        path: `/manage/webhook/${visitorHook.manageToken}`,
        fields: {},
        client: anonymous,
        status: 200,
      },
      {
        page: '/admin/broadcasts/[id]',
        path: '/admin/broadcasts/no-such-broadcast',
        fields: {},
        client: signedIn,
        writes: false,
      },
    );
  });
  afterAll(async () => {
    store?.close();
    await site.close();
    await t.close();
  });

  it('covers every page that acts on a POST (the setup and subscribe forms have their own tests below)', () => {
    const covered = new Set([...cases.map((c) => c.page), '/setup', '/subscribe']);
    expect(postingPages().filter((p) => !covered.has(p))).toEqual([]);
  });

  // One test per posting page, so a long sweep is many short tests rather than one that a busy
  // machine can push past its time limit.
  const swept = postingPages().filter((p) => p !== '/setup' && p !== '/subscribe');
  it('sweeps the posting pages (the list below is read from the real page files)', () => {
    expect(swept.length).toBeGreaterThan(20);
  });

  // Before the sweep below acts on the same forms: a viewer meets each one as it was set up.
  // A viewer reads the internal view but changes nothing; their own account (password) is the
  // one admin form that is theirs.
  const adminForms = swept.filter((p) => p.startsWith('/admin') && p !== '/admin/account');
  it.each(adminForms)(
    '%s refuses a signed-in viewer with its valid token and changes nothing',
    async (page) => {
      const forPage = cases.filter((c) => c.page === page);
      expect(forPage.length).toBeGreaterThan(0);
      for (const c of forPage) {
        const client = await viewer();
        await client.get(c.path);
        const before = await snapshot();
        const refused = await client.post(c.path, c.fields);
        expect([c.path, refused.res.status]).toEqual([c.path, 403]);
        expect([c.path, await snapshot()]).toEqual([c.path, before]);
      }
    },
  );

  it.each(swept)(
    '%s refuses every form without a valid token or from another site and changes nothing; with the token the same post works',
    async (page) => {
      const forPage = cases.filter((c) => c.page === page);
      expect(forPage.length).toBeGreaterThan(0);
      for (const c of forPage) {
        const client = await c.client();
        await client.get(c.path);
        const token = client.csrf;
        expect([c.path, token.length > 0]).toEqual([c.path, true]);
        const before = await snapshot();
        const refused = [
          await client.post(c.path, c.fields, { csrf: null }),
          await client.post(c.path, c.fields, { csrf: 'x'.repeat(token.length) }),
          await client.post(c.path, c.fields, { origin: 'https://evil.example' }),
          await client.post(c.path, c.fields, { csrf: null, origin: null }),
        ];
        expect([c.path, refused.map((r) => r.res.status)]).toEqual([c.path, [403, 403, 403, 403]]);
        expect([c.path, await snapshot()]).toEqual([c.path, before]);
        // Positive control: the same post with the page's own token and origin is acted on.
        client.csrf = token;
        const accepted = await client.post(c.path, c.fields);
        expect([c.path, accepted.res.status]).not.toEqual([c.path, 403]);
        expect([c.path, accepted.html]).not.toEqual([c.path, expect.stringContaining('expired')]);
        if (c.writes !== false)
          expect([c.path, accepted.res.status, (await snapshot()) !== before]).toEqual([
            c.path,
            c.status ?? 303,
            true,
          ]);
      }
    },
  );

  it('refuses a subscribe from another site (it carries no token: the home page is cached) and takes the same post from the site', async () => {
    const client = new FormClient(site.base);
    const before = await snapshot();
    const fields = {
      email: 'forged-sub@example.org',
      listIds: (await listBySlug(t.deps, 'customers')).id,
    };
    const forged = await client.post('/subscribe', fields, {
      csrf: null,
      origin: 'https://evil.example',
    });
    expect(forged.res.status).toBe(403);
    expect(await snapshot()).toBe(before);
    const ok = await client.post('/subscribe', fields, { csrf: null });
    expect(ok.res.status).toBe(200);
    expect(ok.html).toContain('Check your inbox');
    expect(await snapshot()).not.toBe(before);
  });
});

describe('CSRF on the first-admin setup form', () => {
  const s = useSite();

  it('refuses /setup without a valid token or from another site, creating no user; with the token it creates the admin', async () => {
    const link = s.t.deps.setupLink.issue(s.t.clock.now());
    const c = new FormClient(s.site.base);
    await c.get(`/setup?token=${link}`);
    const token = c.csrf;
    const fields = {
      token: link,
      email: 'first@example.com',
      name: 'First',
      password: 'long enough pw',
      passwordConfirm: 'long enough pw',
    };
    const refused = [
      await c.post('/setup', fields, { csrf: null }),
      await c.post('/setup', fields, { csrf: 'y'.repeat(token.length) }),
      await c.post('/setup', fields, { origin: 'https://evil.example' }),
    ];
    expect(refused.map((r) => r.res.status)).toEqual([403, 403, 403]);
    expect(await s.t.deps.db.select().from(schema.users)).toHaveLength(0);
    c.csrf = token;
    const ok = await c.post('/setup', fields);
    expect(ok.res.status).toBe(303);
    expect((await s.t.deps.db.select().from(schema.users)).map((u) => u.email)).toEqual([
      'first@example.com',
    ]);
  });
});
