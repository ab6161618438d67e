import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { lists, reportLinks, reports } from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { addressOnDomains, splitDomains } from '../lists/list-rules.ts';
import { companyDomains } from '../subscribers/subscriber-reads.ts';
import { mailboxDomain, mailboxKey } from '../shared/mailbox.ts';

/** Company domains (settings, then COMPANY_DOMAINS) and every list's own allowed domains. */
export async function reporterDomains(
  db: DbOrTx,
  config: Pick<Config, 'companyDomains'>,
): Promise<string[]> {
  const company = await companyDomains(db, config);
  const own = (await db.select({ d: lists.allowedDomains }).from(lists)).flatMap((l) =>
    splitDomains(l.d),
  );
  return [...new Set([...company, ...own])];
}

export async function isCompanyAddress(
  db: DbOrTx,
  config: Pick<Config, 'companyDomains'>,
  email: string,
): Promise<boolean> {
  const domains = await reporterDomains(db, config);
  return domains.length > 0 && addressOnDomains(email, domains);
}

/** Report links and reports for one address since `since` (durable, every process sees them). */
export async function recentReportActivity(db: DbOrTx, email: string, since: Date) {
  // Links are counted per inbox (mailboxKey), so `someone+1@` and `someone+2@` share one
  // budget; the rows keep the address as typed, so the recent ones at its domain are compared.
  const key = mailboxKey(email);
  const atDomain = await db
    .select({ email: reportLinks.email })
    .from(reportLinks)
    .where(
      and(
        sql`lower(${reportLinks.email}) LIKE ${`%@${mailboxDomain(key) === 'gmail.com' ? '%' : mailboxDomain(key)}`}`,
        sql`${reportLinks.createdAt} > ${since.getTime()}`,
      ),
    );
  const links = { n: atDomain.filter((r) => mailboxKey(r.email) === key).length };
  const [filed] = await db
    .select({ n: sql<number>`count(*)` })
    .from(reports)
    .where(and(eq(reports.reporterEmail, email), sql`${reports.createdAt} > ${since.getTime()}`));
  return { links: links?.n ?? 0, reports: filed?.n ?? 0 };
}
