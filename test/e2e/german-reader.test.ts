import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { incidentFollowers, subscribers, webhooks } from '../../db/schema/index.ts';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { postHoldingUpdate } from '../../server/domain/incidents/holding-update.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { publishDueUpdates } from '../../server/domain/incidents/publish-due-updates.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { scheduleIncidentUpdate } from '../../server/domain/incidents/schedule-update.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { testActor } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { FormClient, makeUser } from '../helpers/site.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';

// A reader whose browser asks for German reads Herald's own texts in German on every page they
// reach, gets their mail in German, and reads the PM's German translation wherever one exists;
// an English reader sees what they always did.

let clients = 0;
/** A German browser: another visitor (behind the trusted proxy) each time. */
const german = (s: ServerContext) =>
  new FormClient(s.url, {
    'accept-language': 'de-DE,de;q=0.9,en;q=0.5',
    'x-forwarded-for': `198.51.100.${++clients}`,
  });
const english = (s: ServerContext) =>
  new FormClient(s.url, {
    'accept-language': 'en-US,en;q=0.9',
    'x-forwarded-for': `198.51.100.${++clients}`,
  });

describe('a German reader', () => {
  let s: ServerContext;
  let smtp: SmtpSink;
  let rx: Receiver;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    rx = await startReceiver();
    // The receiver is on loopback: this Herald opts in to private addresses for every webhook.
    s = await startTestServer({
      env: {
        SMTP_URL: smtp.url,
        TRUST_PROXY: 'true',
        PUBLIC_WEBHOOK_SIGNUP: 'true',
        WEBHOOK_ALLOW_PRIVATE: 'true',
      },
    });
  });
  afterAll(async () => {
    await s.close();
    await rx.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  it('follows one incident by email in German: the page, a refusal that keeps what was typed, and the confirmation mail', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Suche langsam', priority: 2 });
    const c = german(s);
    const page = await c.get(`/subscribe/incident/${incident.id}`);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('<html lang="de" dir="ltr">');
    expect(page.html).toContain('Updates zu „Suche langsam“ erhalten');
    expect(page.html).toContain('Per E-Mail');
    expect(page.html).toContain('Per Webhook');
    expect(page.html).not.toContain('By email');

    const bad = await c.post(`/subscribe/incident/${incident.id}`, {
      via: 'email',
      email: 'kein-at-zeichen',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('Bitte eine E-Mail-Adresse wie name@example.com eingeben.');
    expect(bad.html).toContain('value="kein-at-zeichen"');
    expect(bad.html).not.toContain('must be an email address');
    expect(await s.deps.db.select().from(incidentFollowers)).toHaveLength(0);

    const ok = await c.post(`/subscribe/incident/${incident.id}`, {
      via: 'email',
      email: 'leserin@example.de',
    });
    expect(ok.res.status).toBe(200);
    expect(ok.html).toContain('Sehen Sie in Ihr Postfach');
    expect(ok.html).toContain('<strong>leserin@example.de</strong>');
    await testWorker(s).drain();
    const [mail] = smtp.to('leserin@example.de');
    expect(mail!.parsed.subject).toBe('Bestätigen Sie, dass Sie „Suche langsam“ folgen');
    expect(mail!.parsed.text).toContain('„Suche langsam“');
    linkPath(mail!.parsed.text!, '/confirm/');
  });

  it('is refused a webhook that is not http(s) in German, keeping the URL typed', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Kasse', priority: 1 });
    const c = german(s);
    await c.get(`/subscribe/incident/${incident.id}`);
    const r = await c.post(`/subscribe/incident/${incident.id}`, {
      via: 'webhook',
      url: 'gopher://example.com/x',
    });
    expect(r.res.status).toBe(422);
    expect(r.html).toContain('Die URL muss mit http:// oder https:// beginnen.');
    expect(r.html).toContain('Bitte korrigieren Sie das unten markierte Feld.');
    expect(r.html).toContain('value="gopher://example.com/x"');
    expect(r.html).not.toContain('must start with');
  });

  it('signs up a webhook from /subscribe and reads the answer in German; a refused test is said in German too', async () => {
    const c = german(s);
    const form = await c.get('/subscribe');
    expect(form.html).toContain('Oder Webhooks erhalten');
    rx.next({ status: 503 });
    const refused = await c.post('/subscribe', {
      via: 'webhook',
      url: rx.url,
      events: ['incident.created'],
    });
    expect(refused.res.status).toBe(422);
    expect(refused.html).toContain('Der Test wurde mit einem 5xx-Status beantwortet.');
    expect(refused.html).toContain(`value="${rx.url}"`);
    expect(refused.html).not.toContain('not accepted');
    expect(await s.deps.db.select().from(webhooks)).toHaveLength(0);

    const done = await c.post('/subscribe', {
      via: 'webhook',
      url: rx.url,
      events: ['incident.created'],
    });
    expect(done.res.status).toBe(200);
    expect(done.html).toContain('<html lang="de" dir="ltr">');
    expect(done.html).toContain('Ihr Webhook ist aktiv');
    expect(done.html).toMatch(/whsec_/);
    expect(done.html).not.toContain('Your webhook is on');
    await s.deps.db.delete(webhooks);
  });

  it('reads the German feed with the PM’s German translation, and the English text marked where there is none', async () => {
    const { incident } = await makeIncident(s.deps, {
      title: 'Anmeldung',
      priority: 2,
      body: 'Some people cannot sign in.',
      translations: { de: 'Manche können sich nicht anmelden.' },
    });
    s.clock.advance(60_000);
    await postIncidentUpdate(
      s.deps,
      { incidentId: incident.id, body: 'A fix is rolling out.' },
      testActor,
    );
    for (const feed of ['/history.rss?lang=de', '/history.atom?lang=de']) {
      const xml = await (await fetch(s.url + feed)).text();
      expect(xml, feed).toContain('Manche können sich nicht anmelden.');
      expect(xml, feed).not.toContain('Some people cannot sign in.');
      // No translation: the text as written, with its language named in the reader's words.
      expect(xml, feed).toMatch(/lang=(&quot;|")en(&quot;|")(&gt;|>)A fix is rolling out\./);
      expect(xml, feed).toContain('(Verfasst auf Englisch)');
    }
    const en = await (await fetch(`${s.url}/history.rss`)).text();
    expect(en).toContain('Some people cannot sign in.');
    expect(en).toContain('A fix is rolling out.');
    expect(en).not.toContain('Manche können');
    expect(en).not.toContain('Written in');
  });

  it('reads a holding update in German, also one Herald posts itself', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Datenbank', priority: 1 });
    await postHoldingUpdate(
      s.deps,
      { incidentId: incident.id, nextUpdateInMinutes: 30 },
      testActor,
    );
    const de = await german(s).get(`/incidents/${incident.id}`);
    expect(de.html).toContain(
      'Nichts Neues. Wir untersuchen weiter. Nächstes Update in 30 Minuten.',
    );
    expect(de.html).not.toContain('Nothing to update.');
    const ja = await (await fetch(`${s.url}/incidents/${incident.id}?lang=ja`)).text();
    expect(ja).toContain('更新はありません。引き続き調査しています。次の更新は 30 分後です。');
    const en = await english(s).get(`/incidents/${incident.id}`);
    expect(en.html).toContain('Nothing to update. Still investigating. Next update in 30 minutes.');
  });

  it('gets the translated all-clear and a translated scheduled update on the page and in German mail', async () => {
    await makeConfirmedSubscriber(s.deps, 'abonnent@example.de');
    await s.deps.db
      .update(subscribers)
      .set({ language: 'de' })
      .where(eq(subscribers.email, 'abonnent@example.de'));
    const { incident } = await makeIncident(s.deps, { title: 'Checkout', priority: 1 });
    await testWorker(s).drain();
    smtp.clear();
    const at = new Date(s.clock.now().getTime() + 10 * 60_000);
    await scheduleIncidentUpdate(
      s.deps,
      {
        incidentId: incident.id,
        body: 'The migration is done.',
        translations: { de: 'Die Migration ist fertig.' },
        scheduledFor: at,
      },
      testActor,
    );
    s.clock.advance(11 * 60_000);
    await publishDueUpdates(s.deps);
    await resolveIncident(
      s.deps,
      {
        incidentId: incident.id,
        body: 'All good again.',
        translations: { de: 'Alles wieder gut.' },
      },
      testActor,
    );
    const page = await german(s).get(`/incidents/${incident.id}`);
    expect(page.html).toContain('Die Migration ist fertig.');
    expect(page.html).toContain('Alles wieder gut.');
    expect(page.html).not.toContain('The migration is done.');
    await testWorker(s).drain();
    const texts = smtp.to('abonnent@example.de').map((m) => m.parsed.text ?? '');
    expect(texts.some((t) => t.includes('Die Migration ist fertig.'))).toBe(true);
    expect(texts.some((t) => t.includes('Alles wieder gut.'))).toBe(true);
    expect(texts.join('\n')).not.toContain('All good again.');
  });

  it('an English reader of the follow page sees it as before', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Search is slow', priority: 2 });
    const { html } = await english(s).get(`/subscribe/incident/${incident.id}`);
    expect(html).toContain('<html lang="en" dir="ltr">');
    expect(html).toContain('Get updates on “Search is slow”');
    expect(html).toContain('By email');
    expect(html).toContain('Follow by email');
    expect(html).toContain('Follow this incident');
  });
});

describe('a German reader of an audience page', () => {
  let s: ServerContext;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({ env: { SMTP_URL: smtp.url, TRUST_PROXY: 'true' } });
    await createAudience(
      s.deps,
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      testActor,
    );
  });
  afterAll(async () => {
    await s.close();
    await smtp.close();
  });

  it('signs in through German pages and a German link mail, and reads the audience page in German', async () => {
    const c = german(s);
    const form = await c.get('/a/acme-corp/sign-in');
    expect(form.html).toContain('<html lang="de" dir="ltr">');
    expect(form.html).toContain('Bei dieser Statusseite anmelden');
    expect(form.html).toContain('Anmeldelink per E-Mail schicken');
    const bad = await c.post('/a/acme-corp/sign-in', { email: 'kein-at' });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('Bitte eine E-Mail-Adresse wie name@example.com eingeben.');
    const asked = await c.post('/a/acme-corp/sign-in', { email: 'ops@acme.com' });
    expect(asked.res.status).toBe(303);
    const sent = await c.get(asked.res.headers.get('location')!);
    expect(sent.html).toContain('ist ein Anmeldelink dorthin unterwegs');

    await testWorker(s).drain();
    const [mail] = smtp.to('ops@acme.com');
    expect(mail!.parsed.subject).toBe('Bei der Statusseite Acme Corp anmelden');
    expect(mail!.parsed.text).toContain('Jemand (hoffentlich Sie)');
    expect(mail!.parsed.html).toContain('lang="de"');
    const path = linkPath(mail!.parsed.text!, '/a/acme-corp/sign-in/');

    const link = await c.get(path);
    expect(link.html).toContain('Sie melden sich an als <strong>ops@acme.com</strong>.');
    const r = await c.post(path, {});
    expect(r.res.status).toBe(303);
    const { incident } = await makeIncident(s.deps, {
      title: 'Rechenzentrum',
      priority: 1,
      body: 'Power is out.',
      translations: { de: 'Der Strom ist ausgefallen.' },
    });
    const home = await c.get('/a/acme-corp');
    expect(home.res.status).toBe(200);
    expect(home.html).toContain('<html lang="de" dir="ltr">');
    expect(home.html).toContain('Status für <strong>Acme Corp</strong>');
    expect(home.html).toContain('Angemeldet als ops@acme.com');
    expect(home.html).toContain('Abmelden');
    expect(home.html).toContain('Aktuelle Vorfälle');
    expect(home.html).toContain('Der Strom ist ausgefallen.');
    expect(home.html).not.toContain('Power is out.');
    expect(home.html).toContain(`Rechenzentrum`);
    expect(incident.id).toBeTruthy();

    // A used link says so in German.
    const used = await german(s).get(path);
    expect(used.res.status).toBe(404);
    expect(used.html).toContain('Dieser Anmeldelink gilt nicht mehr');
  });

  it('a link asked for in English still comes in English', async () => {
    smtp.clear();
    const c = english(s);
    await c.get('/a/acme-corp/sign-in');
    await c.post('/a/acme-corp/sign-in', { email: 'cto@acme.com' });
    await testWorker(s).drain();
    const [mail] = smtp.to('cto@acme.com');
    expect(mail!.parsed.subject).toBe('Sign in to the Acme Corp status page');
    expect(mail!.parsed.text).toContain('Someone (hopefully you)');
  });
});

describe('translation boxes on the scheduled update and all-clear forms', () => {
  let s: ServerContext;
  let pm: FormClient;
  beforeAll(async () => {
    s = await startTestServer();
    await makeUser(s, 'admin', 'pm@example.com');
    pm = new FormClient(s.url);
    await pm.login('pm@example.com');
  });
  afterAll(() => s.close());

  it('offers a box per language the settings ask for, and what is typed there reaches those readers', async () => {
    const { incident } = await makeIncident(s.deps, { title: 'Search', priority: 3 });
    const without = await pm.get(`/admin/incidents/${incident.id}/schedule`);
    expect(without.html).not.toContain('name="translation.');
    await updateSettings(s.deps, { translationLanguages: ['de'] }, testActor);
    const schedule = await pm.get(`/admin/incidents/${incident.id}/schedule`);
    expect(schedule.html).toContain('name="translation.de"');
    const admin = await pm.get(`/admin/incidents/${incident.id}`);
    expect(admin.html).toContain('id="f-allclear-de"');
    const asked = await pm.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      body: 'Search is fast again.',
      'translation.de': 'Die Suche ist wieder schnell.',
    });
    // Resolving asks once more; the translation travels with the confirmation.
    expect(asked.html).toContain('name="translation.de" value="Die Suche ist wieder schnell."');
    const done = await pm.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      confirmed: '1',
      body: 'Search is fast again.',
      'translation.de': 'Die Suche ist wieder schnell.',
    });
    expect(done.res.status).toBe(303);
    const de = await (await fetch(`${s.url}/incidents/${incident.id}?lang=de`)).text();
    expect(de).toContain('Die Suche ist wieder schnell.');
    const en = await (await fetch(`${s.url}/incidents/${incident.id}`)).text();
    expect(en).toContain('Search is fast again.');
  });
});
