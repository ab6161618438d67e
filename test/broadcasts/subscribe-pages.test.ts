import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { subscribers } from '../../db/schema/index.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { FormClient, startPublicSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { listBySlug } from '../helpers/subscribers.ts';

describe('subscribe, confirm and manage pages', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: Awaited<ReturnType<typeof startPublicSite>>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    site = await startPublicSite(t);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  it('the home page carries a subscribe form with no per-visitor token', async () => {
    const a = await (await fetch(`${site.url}/`)).text();
    const b = await (await fetch(`${site.url}/`)).text();
    // The form names the language the page spoke, so the subscriber's mail comes in it.
    expect(a).toContain('action="/subscribe?lang=en"');
    expect(a).toBe(b);
    expect(a).not.toMatch(/name="(csrf|_csrf|token)"/);
  });

  it('subscribes by double opt-in: email, a link to a page whose button confirms, then a welcome', async () => {
    const res = await site.post('/subscribe', { email: 'Reader@Example.org' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Check your inbox');
    await testWorker(t).drain();
    const [confirmation] = smtp.to('reader@example.org');
    expect(confirmation!.parsed.subject).toBe('Confirm your subscription to Acme status updates');
    expect(confirmation!.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const confirmPath = linkPath(confirmation!.parsed.text!, '/confirm/');

    // Opening the link (as a mail scanner would) changes nothing.
    const page = await fetch(site.url + confirmPath);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Confirm subscription');
    expect(html).toContain('method="post"');
    const [pending] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'reader@example.org'));
    expect(pending!.state).toBe('pending');

    const done = await site.submit(confirmPath, {});
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('You are subscribed');
    const [confirmed] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'reader@example.org'));
    expect(confirmed!.state).toBe('confirmed');
    await testWorker(t).drain();
    const welcome = smtp
      .to('reader@example.org')
      .find((m) => m.parsed.subject?.startsWith('You are subscribed'));
    expect(welcome).toBeDefined();
    // Pressing the button again does not send a second welcome.
    await site.submit(confirmPath, {});
    await testWorker(t).drain();
    expect(
      smtp
        .to('reader@example.org')
        .filter((m) => m.parsed.subject?.startsWith('You are subscribed')),
    ).toHaveLength(1);
  });

  it('answers the same for a new, a pending and a confirmed address', async () => {
    const strip = (s: string, email: string) => s.replaceAll(email, 'EMAIL');
    const fresh = strip(
      await (await site.post('/subscribe', { email: 'same1@example.org' })).text(),
      'same1@example.org',
    );
    const pending = strip(
      await (await site.post('/subscribe', { email: 'same1@example.org' })).text(),
      'same1@example.org',
    );
    expect(pending).toBe(fresh);
    // Confirmed the way a reader does it: the link from the latest email, then its button.
    await testWorker(t).drain();
    const latest = smtp.to('same1@example.org').at(-1)!;
    expect((await site.submit(linkPath(latest.parsed.text!, '/confirm/'), {})).status).toBe(200);
    const [row] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'same1@example.org'));
    expect(row!.state).toBe('confirmed');
    const confirmed = strip(
      await (await site.post('/subscribe', { email: 'same1@example.org' })).text(),
      'same1@example.org',
    );
    expect(confirmed).toBe(fresh);
  });

  it('refuses an address outside the domains of an internal list, keeping what was typed', async () => {
    const stakeholders = await listBySlug(t.deps, 'stakeholders');
    const res = await site.post('/subscribe', {
      email: 'stranger@example.org',
      listIds: stakeholders.id,
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('only takes company addresses');
    expect(html).toContain('value="stranger@example.org"');
    expect(
      await t.deps.db
        .select()
        .from(subscribers)
        .where(eq(subscribers.email, 'stranger@example.org')),
    ).toHaveLength(0);
  });

  it('lets a company address choose among the lists that take it', async () => {
    const res = await site.post('/subscribe', { email: 'colleague@acme.com' });
    const html = await res.text();
    expect(html).toContain('Which lists?');
    expect(html).toContain('Stakeholders');
    expect(html).toContain('Customers');
    const none = await site.post('/subscribe', { email: 'colleague@acme.com', choosing: '1' });
    expect(none.status).toBe(422);
    const noneHtml = await none.text();
    expect(noneHtml).toContain('Tick at least one list.');
    expect(noneHtml).toContain('Stakeholders');
    const stakeholders = await listBySlug(t.deps, 'stakeholders');
    const chosen = await site.post('/subscribe', {
      email: 'colleague@acme.com',
      listIds: stakeholders.id,
    });
    expect(await chosen.text()).toContain('Check your inbox');
    const rows = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'colleague@acme.com'));
    expect(rows.map((r) => r.listId)).toEqual([stakeholders.id]);
  });

  it('says "lists" for a sign-up to two lists, before and after the press', async () => {
    const chooser = await (await site.post('/subscribe', { email: 'two@acme.com' })).text();
    // One bracket per list: a drill list is internal, said once.
    expect(chooser).toContain(
      '<strong>Drills</strong> (internal: practice incidents, for responders)',
    );
    expect(chooser).not.toContain(') (');
    const both = [await listBySlug(t.deps, 'stakeholders'), await listBySlug(t.deps, 'customers')];
    await site.post('/subscribe', { email: 'two@acme.com', listIds: both.map((l) => l.id) });
    await testWorker(t).drain();
    const confirmPath = linkPath(smtp.to('two@acme.com')[0]!.parsed.text!, '/confirm/');
    const names = '(Stakeholders and Customers|Customers and Stakeholders)';
    const ask = await (await fetch(site.url + confirmPath)).text();
    expect(ask).toMatch(new RegExp(`from the <strong>${names}</strong> lists to`));
    const done = await (await site.submit(confirmPath, {})).text();
    expect(done).toMatch(new RegExp(`status updates from the ${names} lists\\.`));
    const again = await (await fetch(site.url + confirmPath)).text();
    expect(again).toMatch(new RegExp(`is on the ${names} lists\\.`));
    const german = await (await fetch(`${site.url}${confirmPath}?lang=de`)).text();
    expect(german).toMatch(
      /auf den Listen (Stakeholders und Customers|Customers und Stakeholders)\./,
    );
  });

  it('re-renders a bad address with a readable error', async () => {
    const res = await site.post('/subscribe', { email: 'not-an-address' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('must be an email address');
    expect(html).toContain('value="not-an-address"');
  });

  it('refuses a subscribe POST from another site', async () => {
    const res = await site.post(
      '/subscribe',
      { email: 'csrf@example.org' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(res.status).toBe(403);
    expect(
      await t.deps.db.select().from(subscribers).where(eq(subscribers.email, 'csrf@example.org')),
    ).toHaveLength(0);
  });

  it('limits confirmation emails per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await site.post('/subscribe', { email: 'hammer@example.org' })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses[5]).toBe(429);
    t.clock.advance(3600_000 + 1);
    expect((await site.post('/subscribe', { email: 'hammer@example.org' })).status).toBe(200);
  });

  it('expires confirmation links after 7 days', async () => {
    await site.post('/subscribe', { email: 'slow@example.org' });
    await testWorker(t).drain();
    const path = linkPath(smtp.to('slow@example.org')[0]!.parsed.text!, '/confirm/');
    t.clock.advance(7 * 24 * 3600_000 + 1);
    const page = await fetch(site.url + path);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('expired');
    // Pressing a button on a page opened before the expiry does not confirm either.
    const client = new FormClient(site.url);
    await client.get('/subscribe');
    const { res, html } = await client.post(path, {});
    expect(res.status).toBe(404);
    expect(html).toContain('expired');
    const [s] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'slow@example.org'));
    expect(s!.state).toBe('pending');
  });

  it('manages components and unsubscribes from the manage page behind the emailed token', async () => {
    const api = await makeComponent(t.deps, { name: 'API' });
    const web = await makeComponent(t.deps, { name: 'Website' });
    await site.post('/subscribe', { email: 'picky@example.org', componentIds: [api.id] });
    await testWorker(t).drain();
    await site.submit(linkPath(smtp.to('picky@example.org')[0]!.parsed.text!, '/confirm/'), {});
    await testWorker(t).drain();
    const welcome = smtp
      .to('picky@example.org')
      .find((m) => m.parsed.subject?.startsWith('You are subscribed'))!;
    expect(welcome.parsed.text).toContain('incidents affecting API');
    const manage = linkPath(welcome.parsed.text!, '/manage/');

    const page = await (await fetch(site.url + manage)).text();
    expect(page).toContain('picky@example.org');
    await site.submit(manage, { action: 'save', componentIds: web.id });
    const [s] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'picky@example.org'));
    expect(s!.componentIds).toEqual([web.id]);

    smtp.clear();
    await makeIncident(t.deps, {
      priority: 0,
      title: 'API down',
      components: [{ componentId: api.id, status: 'major_outage' }],
    });
    await makeIncident(t.deps, {
      priority: 0,
      title: 'Website down',
      components: [{ componentId: web.id, status: 'major_outage' }],
    });
    await testWorker(t).drain();
    expect(smtp.to('picky@example.org').map((m) => m.parsed.subject)).toEqual([
      'Major outage: Website down',
    ]);

    const unsubscribePage = await (
      await fetch(site.url + manage.replace('/manage/', '/unsubscribe/'))
    ).text();
    expect(unsubscribePage).toContain('Unsubscribe?');
    const res = await site.submit(manage, { action: 'unsubscribe' });
    expect(await res.text()).toContain('You are unsubscribed');
    const [after] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'picky@example.org'));
    expect(after!.state).toBe('unsubscribed');
  });

  it('keeps the internal note off the incident page and the home page', async () => {
    const { incident } = await makeIncident(t.deps, {
      priority: 0,
      title: 'Note check',
      body: 'Visible words',
      internalNote: 'PAGE-SECRET-NOTE',
    });
    for (const path of ['/', `/incidents/${incident.id}`, '/history']) {
      const html = await (await fetch(site.url + path)).text();
      expect(html, path).toContain('Note check');
      expect(html, path).not.toContain('PAGE-SECRET-NOTE');
    }
  });
});
