import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { subscribers } from '../../db/schema/index.ts';
import { updateList } from '../../server/domain/lists/update-list.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { startPublicSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { listBySlug, makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// Each email goes in its recipient's language: the one they subscribed in, changeable on the
// manage page; the broadcast is rendered once per list and language, not per recipient.

describe('mail in the subscriber language', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: Awaited<ReturnType<typeof startPublicSite>>;
  const setLanguage = (email: string, language: string) =>
    t.deps.db.update(subscribers).set({ language }).where(eq(subscribers.email, email));

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

  it('a subscriber keeps the language of the page they subscribed from, for every mail', async () => {
    const res = await site.post('/subscribe?lang=de', { email: 'leser@example.de' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Sehen Sie in Ihr Postfach');
    const [row] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'leser@example.de'));
    expect(row!.language).toBe('de');
    await testWorker(t).drain();
    const [confirmation] = smtp.to('leser@example.de');
    expect(confirmation!.parsed.subject).toBe(
      'Bestätigen Sie Ihr Abonnement der Status-Updates von Acme',
    );
    expect(confirmation!.parsed.html).toContain('<html lang="de" dir="ltr">');
    expect(confirmation!.parsed.text).toContain('Hier bestätigen: ');
    // Accept-Language of the browser decides when the form names no language.
    await site.post('/subscribe', { email: 'lectrice@example.fr' }, { 'accept-language': 'fr-FR' });
    const [fr] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'lectrice@example.fr'));
    expect(fr!.language).toBe('fr');
  });

  it('renders an update in each recipient language: impact subjects for public lists, PRIORITY for the internal one', async () => {
    const web = await makeComponent(t.deps, { name: 'Website' });
    for (const [email, lang] of [
      ['en1@example.org', 'en'],
      ['en2@example.org', 'en'],
      ['de1@example.org', 'de'],
      ['ja1@example.org', 'ja'],
      ['ar1@example.org', 'ar'],
    ] as const) {
      await makeConfirmedSubscriber(t.deps, email);
      await setLanguage(email, lang);
    }
    await makeConfirmedSubscriber(t.deps, 'kollegin@acme.com', 'stakeholders');
    await setLanguage('kollegin@acme.com', 'de');
    const { incident } = await makeIncident(t.deps, {
      priority: 0,
      title: 'Website is down',
      body: 'We are on it.',
      components: [{ componentId: web.id, status: 'major_outage' }],
    });
    await testWorker(t).drain();
    const mail = (to: string) => smtp.to(to)[0]!;
    expect(mail('en1@example.org').parsed.subject).toBe('Major outage: Website is down');
    expect(mail('en2@example.org').parsed.text).toContain('Status: Investigating');
    const de = mail('de1@example.org');
    expect(de.parsed.subject).toBe('Schwerer Ausfall: Website is down');
    expect(de.parsed.text).toContain('Schwerer Ausfall: Website is down');
    expect(de.parsed.text).not.toContain('PRIORIT');
    expect(de.parsed.text).toContain('Status: Wird untersucht');
    expect(de.parsed.text).toContain('Betroffen: Website (Schwerer Ausfall)');
    expect(de.parsed.text).toContain('We are on it.');
    expect(de.parsed.text).toContain('Abonnement verwalten: https://status.example.com/manage/');
    expect(mail('ja1@example.org').parsed.subject).toBe('重大な障害: Website is down');
    // The internal list keeps the team's priority, in the reader's language.
    expect(mail('kollegin@acme.com').parsed.subject).toBe(
      'PRIORITÄT 0 PROBLEM-UPDATE: WEBSITE IS DOWN',
    );
    const ar = mail('ar1@example.org');
    expect(ar.parsed.html).toContain('<html lang="ar" dir="rtl">');
    expect(ar.parsed.text).toContain('الحالة: قيد التحقيق');
    // Each recipient still gets their own links.
    expect(linkPath(mail('en1@example.org').parsed.text!, '/manage/')).not.toBe(
      linkPath(mail('en2@example.org').parsed.text!, '/manage/'),
    );
    // The all-clear: "Resolved" in each reader's language, the PRIORITY pattern internally.
    smtp.clear();
    await resolveIncident(t.deps, { incidentId: incident.id }, testActor);
    await testWorker(t).drain();
    expect(mail('en1@example.org').parsed.subject).toBe('Resolved: Website is down');
    expect(mail('de1@example.org').parsed.subject).toBe('Behoben: Website is down');
    expect(mail('kollegin@acme.com').parsed.subject).toBe(
      'PRIORITÄT 0 PROBLEM BEHOBEN: WEBSITE IS DOWN',
    );
  });

  it('a list can keep subjects in English while the body follows the reader', async () => {
    const staff = await listBySlug(t.deps, 'stakeholders');
    await updateList(t.deps, { listId: staff.id, subjectsInEnglish: true }, testActor);
    await makeConfirmedSubscriber(t.deps, 'kollege@acme.com', 'stakeholders');
    await setLanguage('kollege@acme.com', 'de');
    await makeIncident(t.deps, { priority: 1, title: 'Slow checkout', body: 'Slow.' });
    await testWorker(t).drain();
    const [m] = smtp.to('kollege@acme.com');
    expect(m!.parsed.subject).toBe('PRIORITY 1 ISSUE UPDATE: SLOW CHECKOUT');
    expect(m!.parsed.text).toContain('Status: Wird untersucht');
  });

  it('the manage page changes the language of the next emails', async () => {
    const { token } = await makeConfirmedSubscriber(t.deps, 'wechsel@example.org');
    const page = await (
      await fetch(`${site.url}/manage/${token}`, {
        headers: { 'accept-language': 'nl' },
      })
    ).text();
    expect(page).toContain('Taal van je e-mails');
    expect(page).toMatch(/<option value="en" lang="en" selected>English<\/option>/);
    const saved = await site.submit(`/manage/${token}`, {
      action: 'save',
      everything: '1',
      language: 'it',
    });
    expect(saved.status).toBe(200);
    const [row] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'wechsel@example.org'));
    expect(row!.language).toBe('it');
    const refused = await site.submit(`/manage/${token}`, { action: 'save', language: 'tlh' });
    expect(refused.status).toBe(422);
    const [still] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'wechsel@example.org'));
    expect(still!.language).toBe('it');
  });
});
