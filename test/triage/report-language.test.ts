import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportLinks, reports, settings } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { decideReport } from '../../server/domain/reports/decide-report.ts';
import { fileReportAsUser } from '../../server/domain/reports/file-report.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { makeIncident, makeUserActor } from '../helpers/factories.ts';
import { testActor } from '../helpers/deps.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { FormClient } from '../helpers/site.ts';
import { answers, postMultipart, startReportDesk } from './helpers.ts';

// The reporter is a reader: the report page's link request and the link's mail speak the
// language the page speaks to them, and the report filed with the link remembers it.
describe('the report link in the reader language', () => {
  let desk: Awaited<ReturnType<typeof startReportDesk>>;
  let t: typeof desk.t;
  let smtp: typeof desk.smtp;
  let site: typeof desk.site;
  beforeAll(async () => {
    desk = await startReportDesk();
    ({ t, smtp, site } = desk);
  });
  afterAll(() => desk?.close());
  afterEach(async () => {
    smtp.clear();
    await t.deps.db.delete(reports);
    await t.deps.db.delete(reportLinks);
  });

  it('a German reader asks for a report link in German, and the refusal keeps what they typed', async () => {
    const c = new FormClient(site.base, { 'accept-language': 'de-DE, de;q=0.9' });
    const page = await c.get('/report');
    expect(page.html).toContain('<html lang="de"');
    expect(page.html).toContain('<h1>Ein Problem melden</h1>');
    expect(page.html).toContain('Ihre geschäftliche E-Mail-Adresse');
    expect(page.html).toContain('Meldeformular per E-Mail senden');
    expect(page.html).toContain('action="/report?lang=de"');
    expect(page.html).not.toContain('Report a problem');

    const refused = await c.post('/report?lang=de', { email: 'kein-mail' });
    expect(refused.res.status).toBe(422);
    expect(refused.html).toContain('Bitte korrigieren Sie das unten markierte Feld.');
    expect(refused.html).toContain('Bitte eine E-Mail-Adresse wie name@example.com eingeben.');
    expect(refused.html).toContain('value="kein-mail"');
    expect(refused.html).not.toContain('must be an email address');
    expect(await t.deps.db.select().from(reportLinks)).toHaveLength(0);
  });

  it('a German reader gets the link mail in German, and the report filed with it is German', async () => {
    const c = new FormClient(site.base, { 'accept-language': 'de' });
    await c.get('/report');
    const r = await c.post('/report?lang=de', { email: 'lena@acme.com' });
    expect(r.res.status).toBe(303);
    const sent = await c.get(r.res.headers.get('location')!);
    expect(sent.html).toContain('Sehen Sie in Ihr Postfach');
    const [link] = await t.deps.db.select().from(reportLinks);
    expect(link!.language).toBe('de');

    await testWorker(t).drain();
    const [mail] = smtp.to('lena@acme.com');
    expect(mail!.parsed.subject).toBe('Ihr Link, um bei Acme eine Meldung einzureichen');
    expect(mail!.parsed.text).toContain('Jemand (hoffentlich Sie) hat von dieser Adresse aus');
    expect(mail!.parsed.text).toContain('Meldeformular öffnen: ');
    expect(mail!.parsed.text).toContain('Statusseite von Acme (Herald).');
    expect(mail!.parsed.text).not.toContain('Someone (hopefully you)');
    expect(mail!.parsed.html).toContain('<html lang="de" dir="ltr">');
    // The expiry is a German date, in UTC.
    expect(mail!.parsed.text).toMatch(/gilt bis \d{1,2}\. \S+ \d{2}:\d{2} UTC\./);

    // The link's page is the report form in German; a refusal says what is missing in German
    // and keeps every answer typed.
    const path = linkPath(mail!.parsed.text!, '/report/');
    const form = await c.get(path);
    expect(form.html).toContain('Sie melden als <strong>lena@acme.com</strong>.');
    expect(form.html).toContain('Was ist passiert? Was haben Sie gemacht, was haben Sie gesehen?');
    expect(form.html).toContain(
      'Alle sofort ran: Eine wichtige Funktion ist für viele Kunden kaputt.',
    );
    expect(form.html).toContain('Meldung einreichen');
    expect(form.html).not.toContain('File the report');
    // The form posts in the language it was shown in, as the browser follows its action.
    expect(form.html).toContain(`action="${path}?lang=de"`);
    const action = `${path}?lang=de`;
    const refused = await postMultipart(c, action, answers({ expected: '' }));
    expect(refused.res.status).toBe(422);
    expect(refused.html).toContain('Bitte korrigieren Sie das unten markierte Feld.');
    expect(refused.html).toContain('Was haben Sie erwartet</a>: Bitte ausfüllen.');
    expect(refused.html).toContain('Checkout shows a blank page after &quot;Pay&quot;');
    expect(refused.html).toContain('Every customer paying by card, about 200 an hour');
    expect(await t.deps.db.select().from(reports)).toHaveLength(0);

    // The report filed with that link keeps the language it was asked in, whatever the browser.
    const filer = new FormClient(site.base);
    await filer.get(path);
    const filed = await postMultipart(filer, path, answers());
    expect(filed.res.status).toBe(303);
    const [row] = await t.deps.db.select().from(reports);
    expect(row!.language).toBe('de');

    // The receipt is German too: subject, text, the picked priority's meaning, the frame.
    await testWorker(t).drain();
    const receipt = smtp
      .to('lena@acme.com')
      .find((m) => m.parsed.subject?.startsWith('Meldung erhalten'))!;
    expect(receipt.parsed.subject).toBe(
      'Meldung erhalten (P1): Checkout shows a blank page after "Pay"',
    );
    expect(receipt.parsed.text).toContain(
      'Danke: Ihre Meldung hat das Team von Acme erreicht. Sie haben P1 (Alle sofort daran) gewählt.',
    );
    expect(receipt.parsed.text).toContain('Etwas ist kaputt, das bisher funktioniert hat');
    expect(receipt.parsed.text).toContain('Ihre Meldung verfolgen: ');
    expect(receipt.parsed.html).toContain('<html lang="de" dir="ltr">');
    expect(receipt.parsed.text).not.toContain('Thank you');

    // The team's decision reaches the reporter in German, the PM's reason as written.
    await decideReport(
      t.deps,
      {
        reportId: row!.id,
        action: 'rerate',
        priority: 2,
        reason: 'Only one customer is affected.',
      },
      testActor,
    );
    await testWorker(t).drain();
    const decision = smtp
      .to('lena@acme.com')
      .find((m) => m.parsed.subject?.startsWith('Ihre Meldung:'))!;
    expect(decision.parsed.subject).toBe(
      'Ihre Meldung: neu eingestuft als P2 · Checkout shows a blank page after "Pay"',
    );
    expect(decision.parsed.text).toContain(
      'Das Team hat Ihre Meldung neu eingestuft als P2 (Diese Woche beheben); Sie hatten P1 gewählt.',
    );
    expect(decision.parsed.text).toContain('Warum:\nOnly one customer is affected.');
    expect(decision.parsed.text).toContain(
      'einmal auf der Seite Ihrer Meldung an die letzte Instanz',
    );
    expect(decision.parsed.html).toContain('<html lang="de" dir="ltr">');

    // The private status page the receipt links to speaks German to a German reader.
    const status = await c.get(linkPath(receipt.parsed.text!, '/report/status/'));
    expect(status.res.status).toBe(200);
    expect(status.html).toContain('<h1>Ihre Meldung</h1>');
    expect(status.html).toContain('<dd>P2 (Sie hatten P1 gewählt)</dd>');
    expect(status.html).toContain('<strong>Neu eingestuft</strong>');
    expect(status.html).toContain('Nicht einverstanden mit der Neueinstufung?');
    expect(status.html).toContain('Warum es P1 sein sollte (Sie können einmal eskalieren)');
    expect(status.html).not.toContain('Disagree with the re-rating');

    // Escalating: a missing reason and a second escalation are refused in German.
    const statusPath = linkPath(receipt.parsed.text!, '/report/status/');
    const empty = await c.post(statusPath, { reason: '' });
    expect(empty.res.status).toBe(422);
    expect(empty.html).toContain('Bitte korrigieren Sie das unten markierte Feld.');
    expect(empty.html).toContain('<span class="field-error">Bitte ausfüllen.</span>');
    const escalated = await c.post(statusPath, { reason: 'Alle Kartenzahlungen fallen aus.' });
    expect(escalated.res.status).toBe(303);
    const twice = await c.post(statusPath, { reason: 'Noch einmal.' });
    expect(twice.res.status).toBe(409);
    expect(twice.html).toContain('Sie haben diese Meldung bereits eskaliert');

    // A used link is refused in the reader's language, keeping the answers typed.
    const again = await postMultipart(c, action, answers({ whatHappened: 'Zweiter Versuch' }));
    expect(again.res.status).toBe(404);
    expect(again.html).toContain('Mit diesem Meldelink wurde bereits eine Meldung eingereicht');
    expect(again.html).toContain('Zweiter Versuch');
    expect(again.html).toContain('Neuen Link anfordern');
  });

  it('an English reader gets the page and the link mail as before', async () => {
    const c = new FormClient(site.base, { 'accept-language': 'en-US' });
    const page = await c.get('/report');
    expect(page.html).toContain('<h1>Report a problem</h1>');
    expect(page.html).toContain('Email me the report form');
    const refused = await c.post('/report', { email: 'not-mail' });
    expect(refused.res.status).toBe(422);
    expect(refused.html).toContain('must be an email address');
    expect(refused.html).toContain('value="not-mail"');

    await desk.linkFor('ann@acme.com', c);
    const [mail] = smtp.to('ann@acme.com');
    expect(mail!.parsed.subject).toBe('Your link to file a report with Acme');
    expect(mail!.parsed.text).toContain(
      'Someone (hopefully you) asked to file a report with the Acme team from this address.',
    );
    expect(mail!.parsed.text).toContain('Acme status page (Herald). You get this email because');
    expect(mail!.parsed.html).toContain('<html lang="en" dir="ltr">');
  });

  it('a link asked for before languages were recorded mails in the page default language', async () => {
    const c = new FormClient(site.base);
    await c.get('/report');
    await c.post('/report', { email: 'old@acme.com' });
    await t.deps.db.update(reportLinks).set({ language: null });
    await t.deps.db.update(settings).set({
      defaultLanguage: 'fr',
    });
    try {
      await testWorker(t).drain();
      const [mail] = smtp.to('old@acme.com');
      expect(mail!.parsed.subject).toBe('Votre lien pour signaler un problème à Acme');
    } finally {
      await t.deps.db.update(settings).set({ defaultLanguage: 'en' });
    }
  });

  it('a German reporter follows the incident their report joined in German, the PM translation included', async () => {
    const reporter = await makeUserActor(t.deps, 'jonas@acme.com');
    const r = await fileReportAsUser(
      t.deps,
      {
        kind: 'bug',
        priority: 1,
        whatHappened: 'Kartenzahlung schlägt fehl',
        expected: 'Bestätigung',
        reproduce: 'Mit Karte zahlen',
        affected: 'Kartenkunden',
        startedWhen: '10:15',
      },
      reporter,
      'de',
    );
    const { incident } = await makeIncident(t.deps, {
      title: 'Card payments failing',
      priority: 1,
    });
    await decideReport(
      t.deps,
      { reportId: r.id, action: 'merge', incidentId: incident.id },
      testActor,
    );
    t.clock.advance(60_000);
    await postIncidentUpdate(
      t.deps,
      {
        incidentId: incident.id,
        body: 'A fix is rolling out.',
        status: 'identified',
        translations: { de: 'Eine Korrektur wird ausgerollt.' },
      },
      testActor,
    );
    const scheduler = createScheduler(t.deps);
    await scheduler.runOnce();
    await scheduler.runOnce();
    await testWorker(t).drain();
    const mails = smtp.to('jonas@acme.com');
    const merged = mails.find((m) => m.parsed.subject?.startsWith('Ihre Meldung:'))!;
    expect(merged.parsed.subject).toBe(
      'Ihre Meldung: Teil eines offenen Vorfalls · Kartenzahlung schlägt fehl',
    );
    const follow = mails.find((m) => m.parsed.subject?.startsWith('PRIORITÄT 1'))!;
    expect(follow.parsed.subject).toBe('PRIORITÄT 1 PROBLEM-UPDATE: CARD PAYMENTS FAILING');
    expect(follow.parsed.text).toContain('Ein Update zu „Card payments failing“');
    expect(follow.parsed.text).toContain('Eine Korrektur wird ausgerollt.');
    expect(follow.parsed.text).not.toContain('A fix is rolling out.');
    expect(follow.parsed.text).toContain('Vorfall ansehen: ');
  });
});
