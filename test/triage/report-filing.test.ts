import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { edgePurges, reportAttachments, reportLinks, reports } from '../../db/schema/index.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser } from '../helpers/site.ts';
import { answers, countReports, PNG, postMultipart, startReportDesk } from './helpers.ts';

describe('filing a report at /report', () => {
  let desk: Awaited<ReturnType<typeof startReportDesk>>;
  let t: typeof desk.t;
  let smtp: typeof desk.smtp;
  let site: typeof desk.site;
  let linkFor: typeof desk.linkFor;
  beforeAll(async () => {
    desk = await startReportDesk();
    ({ t, smtp, site, linkFor } = desk);
  });
  afterAll(() => desk?.close());
  afterEach(() => smtp.clear());

  it('answers an address outside the company domains exactly like a company one, and sends it nothing', async () => {
    const ask = async (email: string) => {
      const c = new FormClient(site.base);
      await c.get('/report');
      const r = await c.post('/report', { email });
      const page = await c.get(r.res.headers.get('location') ?? '/report');
      return { status: r.res.status, location: r.res.headers.get('location'), html: page.html };
    };
    const outsider = await ask('someone@gmail.com');
    const insider = await ask('insider@acme.com');
    expect(outsider.status).toBe(303);
    expect([outsider.status, outsider.location]).toEqual([insider.status, insider.location]);
    const sameish = (h: string) => h.replace(/name="_csrf" value="[^"]*"/g, '');
    expect(sameish(outsider.html)).toBe(sameish(insider.html));
    expect(outsider.html).not.toContain('not a company address');
    expect(outsider.html).toContain('If that address can file reports here');
    await testWorker(t).drain();
    expect(smtp.to('someone@gmail.com')).toHaveLength(0);
    expect(smtp.to('insider@acme.com')).toHaveLength(1);
    const links = await t.deps.db.select().from(reportLinks);
    expect(links.map((l) => l.email)).toEqual(['insider@acme.com']);
    await t.deps.db.delete(reportLinks);
  });

  it('shows no text from the address bar: /report?sent=<anything> names no address', async () => {
    const c = new FormClient(site.base);
    const page = await c.get('/report?sent=%3Cb%3Eall%20your%20base%3C%2Fb%3E%40evil.example');
    expect(page.html).not.toContain('all your base');
    expect(page.html).not.toContain('evil.example');
    // Only the server's own `sent=1` shows the notice.
    expect((await c.get('/report?sent=1')).html).toContain('If that address can file reports here');
  });

  it('emails a company address a link whose page shows the form; the POST files it once', async () => {
    const path = await linkFor('ana@acme.com');
    expect(smtp.to('ana@acme.com')[0]!.parsed.subject).toBe('Your link to file a report with Acme');

    const c = new FormClient(site.base);
    const page = await c.get(path);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('Filing as <strong>ana@acme.com</strong>');
    expect(page.html).toContain('enctype="multipart/form-data"');
    expect(await countReports(t)).toBe(0);

    const filed = await postMultipart(c, path, answers(), {
      name: 'blank.png',
      type: 'image/png',
      bytes: PNG,
    });
    expect(filed.res.status).toBe(303);
    const statusPath = filed.res.headers.get('location')!;
    expect(statusPath).toMatch(/^\/report\/status\/[\w-]+\?done=filed$/);
    const [row] = await t.deps.db.select().from(reports);
    expect(row).toMatchObject({ reporterEmail: 'ana@acme.com', priority: 1, kind: 'bug' });
    const [file] = await t.deps.db.select().from(reportAttachments);
    expect(file!.contentType).toBe('image/png');
    expect([...file!.data]).toEqual([...PNG]);

    await testWorker(t).drain();
    const receipt = smtp
      .to('ana@acme.com')
      .find((m) => m.parsed.subject?.startsWith('Report received'))!;
    expect(receipt.parsed.subject).toBe(
      'Report received (P1): Checkout shows a blank page after "Pay"',
    );
    const statusLink = linkPath(receipt.parsed.text!, '/report/status/');
    expect(statusPath.startsWith(statusLink)).toBe(true);
    const status = await fetch(site.base + statusLink);
    const html = await status.text();
    expect(html).toContain('Checkout shows a blank page after &quot;Pay&quot;');
    expect(html).toContain('Filed');

    // The link files one report: a second submit names the problem and keeps the answers.
    const again = await postMultipart(c, path, answers({ whatHappened: 'Second try' }));
    expect(again.res.status).toBe(404);
    expect(again.html).toContain('already used');
    expect(again.html).toContain('Second try');
    expect(await countReports(t)).toBe(1);
  });

  it('a missing priority or answer shows the form again with what was typed; nothing is stored', async () => {
    const path = await linkFor('ben@acme.com');
    const c = new FormClient(site.base);
    await c.get(path);
    const before = await countReports(t);
    const r = await postMultipart(c, path, answers({ priority: '', expected: '' }));
    expect(r.res.status).toBe(422);
    expect(r.html).toContain('Please fix the 2 fields marked below.');
    expect(r.html).toContain('pick P0, P1, P2 or P3');
    expect(r.html).toContain('Today around 10:15');
    expect(await countReports(t)).toBe(before);
    // The link still works after a failed attempt.
    expect((await c.get(path)).res.status).toBe(200);
  });

  it('refuses an attachment whose content is not what its type says, and one over 5 MB', async () => {
    const path = await linkFor('cy@acme.com');
    const c = new FormClient(site.base);
    await c.get(path);
    const before = await countReports(t);
    const fake = await postMultipart(c, path, answers(), {
      name: 'shot.png',
      type: 'image/png',
      bytes: new TextEncoder().encode('<script>alert(1)</script>'),
    });
    expect(fake.res.status).toBe(422);
    expect(fake.html).toContain('says it is image/png but its content is not');
    const exe = await postMultipart(c, path, answers(), {
      name: 'tool.exe',
      type: 'application/x-msdownload',
      bytes: new Uint8Array([0x4d, 0x5a, 0, 0]),
    });
    expect(exe.html).toContain('Attach a PNG or JPEG screenshot or a PDF');
    const big = new Uint8Array(5 * 1024 * 1024 + 10);
    big.set(PNG);
    const large = await postMultipart(c, path, answers(), {
      name: 'huge.png',
      type: 'image/png',
      bytes: big,
    });
    expect(large.res.status).toBe(422);
    expect(large.html).toContain('The attachment is over the 5 MB limit');
    expect(large.html).toContain('Every customer paying by card');
    expect(await countReports(t)).toBe(before);
    expect(await t.deps.db.select().from(reportAttachments)).toHaveLength(1);
  });

  it('an expired link names the problem', async () => {
    const path = await linkFor('dee@acme.com');
    t.clock.advance(25 * 3600_000);
    const r = await new FormClient(site.base).get(path);
    expect(r.res.status).toBe(404);
    expect(r.html).toContain('has expired');
  });

  it('limits link requests per address with the same answer as the per-client limit', async () => {
    const c = new FormClient(site.base);
    await c.get('/report');
    const answersSeen: number[] = [];
    for (let i = 0; i < 6; i++)
      answersSeen.push((await c.post('/report', { email: 'eve@acme.com' })).res.status);
    expect(answersSeen.slice(0, 5)).toEqual([303, 303, 303, 303, 303]);
    const limited = await c.post('/report', { email: 'eve@acme.com' });
    expect(limited.res.status).toBe(429);
    expect(limited.html).toContain('Too many reports were asked for just now.');
    expect(
      await t.deps.db.select().from(reportLinks).where(eq(reportLinks.email, 'eve@acme.com')),
    ).toHaveLength(5);
  });

  it('downloads an attachment under a name made from its checked type, never the uploaded one; filing purges nothing at the edge', async () => {
    await makeUser(t, 'admin', 'lead@acme.com');
    const c = new FormClient(site.base);
    await c.login('lead@acme.com');
    await c.get('/report');
    const purgesBefore = (await t.deps.db.select().from(edgePurges)).length;
    const html = new TextEncoder().encode('<html><script>alert(document.cookie)</script>');
    const bytes = new Uint8Array(PNG.length + html.length);
    bytes.set(PNG);
    bytes.set(html, PNG.length);
    const r = await postMultipart(c, '/report', answers(), {
      name: 'evil.html',
      type: 'image/png',
      bytes,
    });
    expect(r.res.status).toBe(303);
    // Nothing public changes when a report is filed.
    expect((await t.deps.db.select().from(edgePurges)).length).toBe(purgesBefore);
    const [file] = await t.deps.db
      .select()
      .from(reportAttachments)
      .where(eq(reportAttachments.fileName, 'evil.html'));
    const download = await fetch(`${site.base}/admin/reports/${file!.reportId}/attachment`, {
      headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="report-${file!.reportId}-1.png"`,
    );
    expect(download.headers.get('content-disposition')).not.toContain('html');
  });

  it('a signed-in user files directly, without a link', async () => {
    await makeUser(t, 'responder', 'pm@acme.com');
    const c = new FormClient(site.base);
    await c.login('pm@acme.com');
    const page = await c.get('/report');
    expect(page.html).toContain('Filing as <strong>pm@acme.com</strong>');
    const r = await postMultipart(c, '/report', answers({ kind: 'feature', priority: '3' }));
    expect(r.res.status).toBe(303);
    // Like a report filed by link, it lands on its own status page.
    expect(r.res.headers.get('location')).toMatch(/^\/report\/status\/[\w-]+\?done=filed$/);
    const mine = await t.deps.db
      .select()
      .from(reports)
      .where(eq(reports.reporterEmail, 'pm@acme.com'));
    expect(mine).toMatchObject([{ kind: 'feature', priority: 3 }]);
  });
});
