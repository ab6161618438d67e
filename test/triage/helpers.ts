import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { reportEvents, reports } from '../../db/schema/index.ts';
import { fileReportAsUser } from '../../server/domain/reports/file-report.ts';
import type { ReportAnswersRaw } from '../../server/domain/reports/inputs.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { FormClient, startSite } from '../helpers/site.ts';
import { startSmtpSink } from '../helpers/smtp.ts';

/**
 * The report page as a reporter meets it: the site, with acme.com as the company's domain and
 * its mail going to an SMTP sink. `linkFor` asks for a report link as a browser does (the page,
 * then its form) and returns the link's path from the mail.
 */
export async function startReportDesk() {
  const smtp = await startSmtpSink();
  const t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
  const site = await startSite(t);
  return {
    t,
    smtp,
    site,
    async linkFor(email: string, client = new FormClient(site.base)) {
      await client.get('/report');
      const r = await client.post('/report', { email });
      expect(r.res.status).toBe(303);
      await testWorker(t).drain();
      const mail = smtp.to(email).at(-1)!;
      return linkPath(mail.parsed.text!, '/report/');
    },
    async close() {
      await site.close();
      await t.close();
      await smtp.close();
    },
  };
}

/** The smallest real PNG signature plus some bytes: enough for the magic-byte check. */
export const PNG: Uint8Array<ArrayBuffer> = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4,
]);

export const answers = (over: Partial<Record<string, string | string[]>> = {}) => ({
  kind: 'bug',
  priority: '1',
  whatHappened: 'Checkout shows a blank page after "Pay"',
  expected: 'The order confirmation',
  reproduce: 'https://shop.example.com/cart → Pay',
  affected: 'Every customer paying by card, about 200 an hour',
  startedWhen: 'Today around 10:15',
  ...over,
});

/** A form sent as a browser sends one with a file input: multipart, with the page's token. */
export async function postMultipart(
  client: FormClient,
  path: string,
  fields: Record<string, string | string[]>,
  file?: { name: string; type: string; bytes: Uint8Array<ArrayBuffer> },
) {
  const form = new FormData();
  form.append('_csrf', client.csrf);
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) form.append(k, x);
  if (file) form.append('attachment', new Blob([file.bytes], { type: file.type }), file.name);
  const res = await fetch(client.base + path, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: {
      origin: client.base,
      cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
  });
  return { res, html: await res.text() };
}

export async function countReports(t: TestContext) {
  return (await t.deps.db.select().from(reports)).length;
}

/** A report filed in the domain by a signed-in user, for triage tests. */
export async function fileReport(
  t: TestContext,
  actor: Actor,
  over: Partial<ReportAnswersRaw> = {},
) {
  return fileReportAsUser(
    t.deps,
    {
      kind: 'bug',
      priority: 1,
      whatHappened: 'Checkout shows a blank page',
      expected: 'The confirmation',
      reproduce: 'Pay with a card',
      affected: 'Card customers',
      startedWhen: '10:15',
      ...over,
    },
    actor,
  );
}

export async function eventsOf(t: TestContext, reportId: string) {
  return t.deps.db.select().from(reportEvents).where(eq(reportEvents.reportId, reportId));
}
