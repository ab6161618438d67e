import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { incidentUpdates, subscribers } from '../../db/schema/index.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeToken } from '../helpers/api.ts';
import { testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// The PM writes an update once, in the default language, and optionally (a setting) in other
// languages too: readers in a language with a translation get it, others the text as written,
// marked with its language. Herald never translates by itself.

describe("the PM's own translations", () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: Awaited<ReturnType<typeof startSite>>;
  let pm: FormClient;
  const page = async (path: string) => (await fetch(site.base + path)).text();

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url } });
    site = await startSite(t);
    await makeUser(t, 'admin', 'pm@example.com');
    pm = new FormClient(site.base);
    await pm.login('pm@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  it('shows a translation to its readers and the text as written, marked, to everyone else', async () => {
    const { incident } = await declareIncident(
      t.deps,
      {
        title: 'Login fails',
        priority: 2,
        body: 'Some people cannot sign in.',
        translations: { de: 'Manche können sich nicht anmelden.', ja: '' },
      },
      testActor,
    );
    const de = await page(`/incidents/${incident.id}?lang=de`);
    expect(de).toContain('Manche können sich nicht anmelden.');
    expect(de).not.toContain('Some people cannot sign in.');
    expect(de).not.toContain('Verfasst auf');
    // An empty box is no translation: Japanese readers get the English text, marked.
    const ja = await page(`/incidents/${incident.id}?lang=ja`);
    expect(ja).toMatch(/<p class="update-body" dir="auto" lang="en">Some people cannot sign in\./);
    expect(ja).toContain('(英語で記載)');
    const en = await page(`/incidents/${incident.id}`);
    expect(en).toContain('Some people cannot sign in.');
    expect(en).not.toContain('Written in');
    const [row] = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(row!.translations).toEqual({ de: 'Manche können sich nicht anmelden.' });
  });

  it('refuses a translation into a language Herald does not speak, and writes nothing', async () => {
    await expect(
      declareIncident(
        t.deps,
        { title: 'Klingon', priority: 3, body: 'Text.', translations: { tlh: 'Qapla’' } },
        testActor,
      ),
    ).rejects.toThrow(/must be one of/);
    expect(await page('/history')).not.toContain('Klingon');
  });

  it('mails each subscriber the translation in their language when there is one', async () => {
    await makeConfirmedSubscriber(t.deps, 'leser@example.de');
    await t.deps.db
      .update(subscribers)
      .set({ language: 'de' })
      .where(eq(subscribers.email, 'leser@example.de'));
    await makeConfirmedSubscriber(t.deps, 'reader@example.org');
    await declareIncident(
      t.deps,
      {
        title: 'Checkout down',
        priority: 0,
        body: 'Checkout is down.',
        translations: { de: 'Der Checkout ist ausgefallen.' },
      },
      testActor,
    );
    await testWorker(t).drain();
    expect(smtp.to('leser@example.de')[0]!.parsed.text).toContain('Der Checkout ist ausgefallen.');
    expect(smtp.to('reader@example.org')[0]!.parsed.text).toContain('Checkout is down.');
  });

  it('the admin API takes translations and answers 422 for a language Herald does not speak', async () => {
    const { secret } = await makeToken(t, 'responder');
    const post = (body: unknown) =>
      t.app.request('/api/admin/incidents', {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await post({
      title: 'API slow',
      priority: 3,
      body: 'The API is slow.',
      translations: { nl: 'De API is traag.' },
    });
    expect(ok.status).toBe(201);
    const { incident } = (await ok.json()) as { incident: { id: string } };
    expect(await page(`/incidents/${incident.id}?lang=nl`)).toContain('De API is traag.');
    const bad = await post({ title: 'X', priority: 3, body: 'X.', translations: { xx: 'X' } });
    expect(bad.status).toBe(422);
  });

  it('the declare and update forms offer a box per language the settings ask for', async () => {
    const without = await pm.get('/admin/incidents/new');
    expect(without.html).not.toContain('name="translation.');
    const settings = await pm.get('/admin/settings');
    expect(settings.html).toContain('name="translationLanguages" value="fr"');
    await updateSettings(t.deps, { translationLanguages: ['fr', 'ar'] }, testActor);
    const form = await pm.get('/admin/incidents/new');
    expect(form.html).toContain('name="translation.fr"');
    expect(form.html).toContain('name="translation.ar"');
    const { res } = await pm.post('/admin/incidents/new', {
      title: 'Search is slow',
      priority: '2',
      status: 'investigating',
      body: 'Search is slow.',
      'translation.fr': 'La recherche est lente.',
      'translation.ar': '',
      nextIn: 'default',
    });
    expect(res.status).toBe(303);
    const id = res.headers.get('location')!.split('/').pop()!.split('?')[0]!;
    expect(await page(`/incidents/${id}?lang=fr`)).toContain('La recherche est lente.');
    const update = await pm.get(`/admin/incidents/${id}`);
    expect(update.html).toContain('name="translation.fr"');
    const posted = await pm.post(`/admin/incidents/${id}`, {
      _action: 'update',
      status: 'identified',
      body: 'We found the slow query.',
      'translation.fr': 'Nous avons trouvé la requête lente.',
      nextIn: 'default',
    });
    expect(posted.res.status).toBe(303);
    expect(await page(`/incidents/${id}?lang=fr`)).toContain('Nous avons trouvé la requête lente.');
  });
});
