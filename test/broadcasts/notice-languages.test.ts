import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { incidentFollowers, subscribers } from '../../db/schema/index.ts';
import { renderIncidentNotice } from '../../emails/incident-notice.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { updateList } from '../../server/domain/lists/update-list.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.ts';
import { listBySlug, makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// Maintenance notices, post-mortem and follow-up notices and the mail of an incident's
// followers go in each reader's language, like incident updates do.

let clients = 0;
const visitor = (s: ServerContext) =>
  new FormClient(s.url, { 'x-forwarded-for': `203.0.113.${++clients}` });

describe('notices and follower mail in the reader language', () => {
  let s: ServerContext;
  let smtp: SmtpSink;
  const setLanguage = (email: string, language: string) =>
    s.deps.db.update(subscribers).set({ language }).where(eq(subscribers.email, email));

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({ env: { SMTP_URL: smtp.url, TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await s.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());
  /** Opens an emailed confirmation link and presses its button, as a person does. */
  const confirmByButton = async (path: string) => {
    const client = new FormClient(s.url);
    expect((await client.get(path)).res.status).toBe(200);
    const r = await client.post(path, {});
    expect(r.res.status).toBe(200);
  };

  it('a maintenance notice goes in each subscriber language: subject, times and fixed text', async () => {
    const api = await makeComponent(s.deps, { name: 'API' });
    for (const [email, lang] of [
      ['en@example.org', 'en'],
      ['de@example.org', 'de'],
      ['ja@example.org', 'ja'],
      ['ar@example.org', 'ar'],
    ] as const) {
      await makeConfirmedSubscriber(s.deps, email);
      await setLanguage(email, lang);
    }
    await scheduleMaintenance(
      s.deps,
      {
        title: 'Database upgrade',
        description: 'We upgrade the primary database.',
        scheduledFor: '2026-11-22T02:00:00.000Z',
        scheduledUntil: '2026-11-22T04:00:00.000Z',
        componentIds: [api.id],
      },
      testActor,
    );
    await testWorker(s).drain();
    const mail = (to: string) => smtp.to(to)[0]!.parsed;
    expect(mail('en@example.org').subject).toBe(
      'SCHEDULED MAINTENANCE: DATABASE UPGRADE, SUN 02:00-04:00 UTC',
    );
    expect(mail('en@example.org').text).toContain(
      'When: Sun 22 Nov 2026, 02:00 UTC to Sun 22 Nov 2026, 04:00 UTC',
    );
    const de = mail('de@example.org');
    expect(de.subject).toBe('GEPLANTE WARTUNG: DATABASE UPGRADE, SO 02:00-04:00 UTC');
    expect(de.text).toContain('GEPLANTE WARTUNG: Database upgrade');
    expect(de.text).toMatch(/Wann: So\., 22\. Nov\. 2026, 02:00 UTC bis So\., 22\. Nov\. 2026/);
    expect(de.text).toContain('Betroffen: API');
    expect(de.text).toContain(
      'Zum Kalender hinzufügen: https://status.example.com/maintenance.ics',
    );
    expect(de.html).toContain('<html lang="de" dir="ltr">');
    expect(de.html).toContain('Details zur Wartung');
    expect(de.text).not.toMatch(/When:|Add to your calendar/);
    expect(mail('ja@example.org').subject).toBe(
      'メンテナンス予定: DATABASE UPGRADE、日 02:00-04:00 UTC',
    );
    const ar = mail('ar@example.org');
    expect(ar.html).toContain('<html lang="ar" dir="rtl">');
    expect(ar.text).toContain('أضِفها إلى تقويمك: https://status.example.com/maintenance.ics');
  });

  it("a maintenance notice's calendar link opens the calendar in the reader's language", async () => {
    await makeConfirmedSubscriber(s.deps, 'kalender@example.org');
    await setLanguage('kalender@example.org', 'de');
    await scheduleMaintenance(
      s.deps,
      {
        title: 'Cache flush',
        description: 'We flush the cache.',
        scheduledFor: '2026-11-23T02:00:00.000Z',
        scheduledUntil: '2026-11-23T03:00:00.000Z',
      },
      testActor,
    );
    await testWorker(s).drain();
    const text = smtp.to('kalender@example.org')[0]!.parsed.text!;
    const link = /Zum Kalender hinzufügen: (\S+)/.exec(text)![1]!;
    const calendar = await (
      await fetch(s.url + new URL(link).pathname + new URL(link).search)
    ).text();
    expect(calendar).toContain('X-WR-CALNAME:Wartung von');
  });

  it('a list that keeps subjects in English keeps them for maintenance notices too', async () => {
    const list = await listBySlug(s.deps, 'customers');
    await updateList(s.deps, { listId: list.id, subjectsInEnglish: true }, testActor);
    try {
      await makeConfirmedSubscriber(s.deps, 'nl@example.org');
      await setLanguage('nl@example.org', 'nl');
      await scheduleMaintenance(
        s.deps,
        {
          title: 'Quiet window',
          description: 'Routine.',
          scheduledFor: '2026-11-29T02:00:00.000Z',
          scheduledUntil: '2026-11-29T03:00:00.000Z',
        },
        testActor,
      );
      await testWorker(s).drain();
      const [nl] = smtp.to('nl@example.org').filter((m) => m.parsed.subject?.includes('QUIET'));
      expect(nl!.parsed.subject).toBe('SCHEDULED MAINTENANCE: QUIET WINDOW, SUN 02:00-03:00 UTC');
      expect(nl!.parsed.text).toContain('Gepland onderhoud'.toLocaleUpperCase('nl'));
    } finally {
      await updateList(s.deps, { listId: list.id, subjectsInEnglish: false }, testActor);
    }
  });

  it('a follower reads the language of the page they followed from; older followers the page default', async () => {
    const { incident } = await makeIncident(s.deps, {
      title: 'Search is slow',
      priority: 3,
      body: 'Slow searches.',
    });
    const client = visitor(s);
    await client.get(`/subscribe/incident/${incident.id}?lang=de`);
    const asked = await client.post(`/subscribe/incident/${incident.id}?lang=de`, {
      via: 'email',
      email: 'folger@example.de',
    });
    expect(asked.res.status).toBe(200);
    const [row] = await s.deps.db
      .select()
      .from(incidentFollowers)
      .where(eq(incidentFollowers.email, 'folger@example.de'));
    expect(row!.language).toBe('de');
    await testWorker(s).drain();
    const [confirmation] = smtp.to('folger@example.de');
    expect(confirmation!.parsed.subject).toBe('Bestätigen Sie, dass Sie „Search is slow“ folgen');
    expect(confirmation!.parsed.text).toContain('Updates zu „Search is slow“');
    await confirmByButton(linkPath(confirmation!.parsed.text!, '/confirm/'));
    smtp.clear();

    // A follower recorded before languages were (no language): the page's default, now French.
    const older = visitor(s);
    await older.get(`/subscribe/incident/${incident.id}`);
    await older.post(`/subscribe/incident/${incident.id}`, {
      via: 'email',
      email: 'ancien@example.fr',
    });
    await testWorker(s).drain();
    const [asked2] = smtp.to('ancien@example.fr');
    await confirmByButton(linkPath(asked2!.parsed.text!, '/confirm/'));
    await s.deps.db
      .update(incidentFollowers)
      .set({ language: null })
      .where(eq(incidentFollowers.email, 'ancien@example.fr'));
    smtp.clear();
    await updateSettings(s.deps, { defaultLanguage: 'fr' }, testActor);
    try {
      s.clock.advance(60_000);
      await postIncidentUpdate(
        s.deps,
        {
          incidentId: incident.id,
          body: 'Still slow.',
          translations: { de: 'Immer noch langsam.' },
          internalNote: 'Secret cause.',
        },
        testActor,
      );
      await testWorker(s).drain();
      const [de] = smtp.to('folger@example.de');
      expect(de!.parsed.text).toContain('Immer noch langsam.');
      expect(de!.parsed.text).toContain('weil Sie dem Vorfall „Search is slow“ folgen');
      expect(de!.parsed.text).toContain('Status: Wird untersucht');
      expect(de!.parsed.text).not.toContain('Secret cause.');
      const [fr] = smtp.to('ancien@example.fr');
      expect(fr!.parsed.html).toContain('<html lang="fr" dir="ltr">');
      expect(fr!.parsed.text).toContain('Still slow.');
      expect(fr!.parsed.text).toContain('« Search is slow »');
    } finally {
      await updateSettings(s.deps, { defaultLanguage: 'en' }, testActor);
    }
  });

  it('a post-mortem or follow-up notice has its fixed text, date and impact in the reader language', () => {
    const base = {
      subject: 'Nachtrag: Checkout down',
      pageName: 'Acme',
      listName: 'Customers',
      priority: 0,
      impactLabel: 'Schwerer Ausfall',
      title: 'Checkout down',
      isDrill: false,
      text: 'We moved the database.',
      safeHtml: null,
      resolvedOn: '21. Nov. 2026',
      incidentUrl: 'https://status.example.com/incidents/abc',
      postmortemUrl: 'https://status.example.com/incidents/abc#postmortem',
      manageUrl: 'https://status.example.com/manage/t',
      unsubscribeUrl: 'https://status.example.com/unsubscribe/t',
    };
    const de = renderIncidentNotice({ ...base, kind: 'follow_up', lang: 'de' });
    expect(de.text).toContain('Schwerer Ausfall: Checkout down');
    expect(de.text).toContain('Nachtrag zu einem Problem, das am 21. Nov. 2026 behoben wurde.');
    expect(de.text).toContain(
      'Was wir gelernt haben, in der Nachbetrachtung: https://status.example.com/incidents/abc#postmortem',
    );
    expect(de.html).toContain('SCHWERER AUSFALL &middot; NACHTRAG');
    expect(de.html).toContain('die Nachbetrachtung lesen</a>.');
    expect(de.text).not.toMatch(/Follow-up|What we learned/);
    const en = renderIncidentNotice({
      ...base,
      kind: 'postmortem',
      impactLabel: null,
      resolvedOn: 'Nov 21, 2026',
      postmortemUrl: null,
    });
    expect(en.text).toContain('PRIORITY 0: Checkout down');
    expect(en.text).toContain('Post-mortem on an issue resolved Nov 21, 2026.');
    const ja = renderIncidentNotice({
      ...base,
      kind: 'postmortem',
      lang: 'ja',
      resolvedOn: '2026年11月21日',
    });
    expect(ja.text).toContain('2026年11月21日に解決した問題の事後分析です。');
  });
});
