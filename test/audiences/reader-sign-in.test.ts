import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  READER_LINK_TTL_MS,
  READER_LINKS_PER_MAILBOX_PER_HOUR,
} from '../../server/domain/auth/reader-sign-in.ts';
import { READER_SESSION_IDLE_MS } from '../../server/domain/auth/reader-sessions.ts';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { testActor } from '../helpers/deps.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';

describe('readers sign in to an audience page with an emailed one-time link', () => {
  let smtp: SmtpSink;
  let s: ServerContext;

  const count = async (table: string) => {
    const r = await s.deps.db.all<{ n: number }>(sql.raw(`select count(*) as n from ${table}`));
    return Number(r[0]!.n);
  };
  const state = async () => ({
    links: await count('reader_sign_in_links'),
    sessions: await count('reader_sessions'),
    staffSessions: await count('sessions'),
    users: await count('users'),
    outbox: await count('outbox_messages'),
  });

  /** Asks for a link as a fresh browser; returns the answer as the visitor sees it. */
  async function ask(slug: string, email: string) {
    const c = new FormClient(s.url);
    await c.get(`/a/${slug}/sign-in`);
    const r = await c.post(`/a/${slug}/sign-in`, { email });
    const after = await c.get(r.res.headers.get('location') ?? '/nowhere');
    return { status: r.res.status, location: r.res.headers.get('location'), page: after };
  }

  /** Delivers the queued mail and returns the sign-in link path sent to `email`. */
  async function linkFor(email: string): Promise<string> {
    await testWorker(s).drain();
    const mail = smtp.to(email).at(-1);
    if (!mail) throw new Error(`no mail to ${email}`);
    const m = mail.parsed.text!.match(
      /https:\/\/status\.example\.com(\/a\/[a-z0-9-]+\/sign-in\/[A-Za-z0-9_-]+)/,
    );
    if (!m) throw new Error(`no sign-in link in:\n${mail.parsed.text}`);
    return m[1]!;
  }

  async function signIn(email: string, slug = 'acme-corp') {
    await ask(slug, email);
    const path = await linkFor(email);
    const c = new FormClient(s.url);
    await c.get(path);
    const r = await c.post(path, {});
    return { c, r, path };
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({ env: { SMTP_URL: smtp.url } });
    await createAudience(
      s.deps,
      {
        name: 'Acme Corp',
        slug: 'acme-corp',
        memberDomains: ['acme.com'],
        memberEmails: ['cto@acme-holding.com'],
      },
      testActor,
    );
    await createAudience(
      s.deps,
      { name: 'Staff', slug: 'staff', everyoneSignedIn: true, seesInternal: true },
      testActor,
    );
  });
  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });
  beforeEach(() => smtp.clear());

  it('emails a member a link whose page changes nothing until its button signs them in to the audience page', async () => {
    const before = await state();
    await ask('acme-corp', 'ops@acme.com');
    const path = await linkFor('ops@acme.com');
    expect(smtp.to('ops@acme.com')[0]!.parsed.subject).toBe('Sign in to the Acme Corp status page');
    const c = new FormClient(s.url);
    const shown = await c.get(path);
    expect(shown.res.status).toBe(200);
    expect(shown.html).toContain('ops@acme.com');
    // Opening the link (as a mail scanner would) signed nobody in.
    expect((await state()).sessions).toBe(before.sessions);
    const r = await c.post(path, {});
    expect(r.res.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/a/acme-corp');
    const cookie = r.res.headers.getSetCookie().find((v) => v.startsWith('herald_reader='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=\d+/);
    const page = await c.get('/a/acme-corp');
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('Status for <strong>Acme Corp</strong>');
    expect(page.html).toContain('Signed in as ops@acme.com');
    expect(page.res.headers.get('cache-control')).toBe('private, no-store');
  });

  it('gives a reader session no admin access and no other audience', async () => {
    const { c } = await signIn('cto@acme-holding.com');
    expect((await c.get('/a/acme-corp')).res.status).toBe(200);
    const adminPage = await c.get('/admin');
    expect(adminPage.res.status).toBe(303);
    expect(adminPage.res.headers.get('location')).toMatch(/^\/login/);
    const apiAnswer = await fetch(`${s.url}/api/admin/incidents`, {
      headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(apiAnswer.status).toBe(401);
    // "Everyone signed in" means through the company's provider, not a proved address.
    expect((await c.get('/a/staff')).res.status).toBe(404);
  });

  it('answers a non-member, an unknown audience and a member alike, and sends only the member a link', async () => {
    const before = await state();
    const outsider = await ask('acme-corp', 'someone@elsewhere.example');
    const unknown = await ask('no-such-page', 'ops@acme.com');
    expect(await state()).toEqual(before);
    const member = await ask('acme-corp', 'dev@acme.com');
    for (const a of [outsider, unknown, member]) {
      expect(a.status).toBe(303);
      expect(a.page.res.status).toBe(200);
      expect(a.page.html).toContain(
        'If this address may read this page, a sign-in link is on its way',
      );
    }
    // Apart from the address bar and each browser's own form token, the pages are identical.
    const same = (html: string) =>
      html.replaceAll('acme-corp', 'X').replace(/name="_csrf" value="[^"]*"/, '');
    expect(same(outsider.page.html)).toBe(same(member.page.html));
    await testWorker(s).drain();
    expect(smtp.to('someone@elsewhere.example')).toHaveLength(0);
    expect(smtp.to('dev@acme.com')).toHaveLength(1);
  });

  it('sends one inbox at most its hourly budget of links, with the same answer after it is spent', async () => {
    const before = await state();
    const answers = [];
    for (let i = 0; i < READER_LINKS_PER_MAILBOX_PER_HOUR + 2; i++)
      answers.push(await ask('acme-corp', `budget+${i}@acme.com`));
    expect(new Set(answers.map((a) => a.page.res.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((a) => a.location))).toEqual(
      new Set(['/a/acme-corp/sign-in?sent=1']),
    );
    expect((await state()).links - before.links).toBe(READER_LINKS_PER_MAILBOX_PER_HOUR);
    s.clock.advance(3600_000 + 1);
    await ask('acme-corp', 'budget@acme.com');
    expect((await state()).links - before.links).toBe(READER_LINKS_PER_MAILBOX_PER_HOUR + 1);
  });

  it('signs in once per link: a second press and an expired link sign nobody in', async () => {
    const { c, path } = await signIn('once@acme.com');
    const after = await state();
    const again = new FormClient(s.url);
    await again.get('/a/acme-corp/sign-in');
    const r = await again.post(path, {});
    expect(r.res.status).toBe(404);
    expect(r.html).toContain('not valid any more');
    expect(await state()).toEqual(after);
    expect((await c.get('/a/acme-corp')).res.status).toBe(200);

    await ask('acme-corp', 'late@acme.com');
    const late = await linkFor('late@acme.com');
    s.clock.advance(READER_LINK_TTL_MS + 1);
    const lc = new FormClient(s.url);
    await lc.get('/a/acme-corp/sign-in');
    expect((await lc.get(late)).res.status).toBe(404);
    const before = await state();
    expect((await lc.post(late, {})).res.status).toBe(404);
    expect(await state()).toEqual(before);
  });

  it('refuses a link on another audience page and a made-up token, changing nothing', async () => {
    await ask('acme-corp', 'swap@acme.com');
    const path = await linkFor('swap@acme.com');
    const before = await state();
    const c = new FormClient(s.url);
    await c.get('/a/staff/sign-in');
    expect((await c.post(path.replace('/a/acme-corp/', '/a/staff/'), {})).res.status).toBe(404);
    expect(
      (await c.post('/a/acme-corp/sign-in/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', {})).res
        .status,
    ).toBe(404);
    expect(await state()).toEqual(before);
  });

  it('signs a reader out: the session row is gone and the page answers 404 again', async () => {
    const { c } = await signIn('leaving@acme.com');
    const page = await c.get('/a/acme-corp');
    expect(page.res.status).toBe(200);
    const before = await count('reader_sessions');
    const out = await c.post('/a/acme-corp/sign-out', {});
    expect(out.res.status).toBe(303);
    expect(out.res.headers.getSetCookie().some((v) => /^herald_reader=;.*Max-Age=0/.test(v))).toBe(
      true,
    );
    expect(await count('reader_sessions')).toBe(before - 1);
    expect((await c.get('/a/acme-corp')).res.status).toBe(404);
  });

  it('ends a reader session left idle past its lifetime', async () => {
    const { c } = await signIn('idle@acme.com');
    expect((await c.get('/a/acme-corp')).res.status).toBe(200);
    s.clock.advance(READER_SESSION_IDLE_MS + 1);
    expect((await c.get('/a/acme-corp')).res.status).toBe(404);
    const left = await s.deps.db.all<{ n: number }>(
      sql`select count(*) as n from reader_sessions where email = 'idle@acme.com'`,
    );
    expect(Number(left[0]!.n)).toBe(0);
  });

  it('loses the page at once when the address is no longer a member', async () => {
    const { c } = await signIn('cto@acme-holding.com');
    expect((await c.get('/a/acme-corp')).res.status).toBe(200);
    await s.deps.db.run(sql`update audiences set member_emails = '[]' where slug = 'acme-corp'`);
    expect((await c.get('/a/acme-corp')).res.status).toBe(404);
    await s.deps.db.run(
      sql`update audiences set member_emails = '["cto@acme-holding.com"]' where slug = 'acme-corp'`,
    );
  });
});
