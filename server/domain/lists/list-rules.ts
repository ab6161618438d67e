import type { lists } from '../../../db/schema/index.ts';

export type ListRow = typeof lists.$inferSelect;

/** "example.com, Example.org" -> ["example.com", "example.org"]. */
export function splitDomains(s: string): string[] {
  return s
    .split(/[\s,]+/)
    .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
    .filter(Boolean);
}

/** "0,1" -> [0, 1]; "" (a list that receives nothing) -> []. */
export function splitPriorities(s: string): number[] {
  return (
    s
      .split(',')
      // Number('') is 0: without this, a list given no priorities would receive P0.
      .filter((p) => p.trim() !== '')
      .map((p) => Number(p.trim()))
      .filter((p) => Number.isInteger(p) && p >= 0 && p <= 3)
  );
}

/**
 * The domains an address must be on to join. An internal list that names none follows the
 * company domains (settings, then COMPANY_DOMAINS); with none known it takes nobody by itself,
 * so internal notes can never reach an outside address through the public form.
 */
export function effectiveDomains(
  list: Pick<ListRow, 'allowedDomains' | 'isInternal'>,
  companyDomains: string[],
): string[] | 'anyone' {
  const own = splitDomains(list.allowedDomains);
  if (own.length > 0) return own;
  return list.isInternal ? companyDomains : 'anyone';
}

export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** Exact domain or one of its subdomains (eu.example.com is on example.com). */
export function addressOnDomains(email: string, domains: string[] | 'anyone'): boolean {
  if (domains === 'anyone') return true;
  const d = domainOf(email);
  return domains.some((allowed) => d === allowed || d.endsWith(`.${allowed}`));
}

export function receivesPriority(list: Pick<ListRow, 'priorities'>, priority: number): boolean {
  return splitPriorities(list.priorities).includes(priority);
}
