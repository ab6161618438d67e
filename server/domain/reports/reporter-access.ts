import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { lists, reportLinks, reports } from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { addressOnDomains, splitDomains } from '../lists/list-rules.ts';
import { companyDomains } from '../subscribers/subscriber-reads.ts';

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
  const [links] = await db
    .select({ n: sql<number>`count(*)` })
    .from(reportLinks)
    .where(and(eq(reportLinks.email, email), sql`${reportLinks.createdAt} > ${since.getTime()}`));
  const [filed] = await db
    .select({ n: sql<number>`count(*)` })
    .from(reports)
    .where(and(eq(reports.reporterEmail, email), sql`${reports.createdAt} > ${since.getTime()}`));
  return { links: links?.n ?? 0, reports: filed?.n ?? 0 };
}
