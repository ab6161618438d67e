import type { ComponentStatus } from '../../db/schema/enums.ts';
import type { StatusReader } from '../domain/status/reader.ts';
import { componentStatusLabels, priorityMeanings, statusLabel } from '../domain/status/labels.ts';
import { formatClock, formatDay, formatLong, formatShort } from '../domain/shared/time-format.ts';
import type { CachedResponse } from '../cache/response-cache.ts';
import type { SubscriptionPages } from './forms/subscriptions.ts';
import type { ReportPages } from './forms/reports.ts';
import type { AdminServices } from './admin-services.ts';
import type { AuthServices } from './forms/auth.ts';
import type { Visitor } from '../http/auth.ts';

/** What Herald hands every Astro page through `locals`: read services and formatters. */
export interface SiteLocals {
  reader: StatusReader;
  now(): Date;
  format: {
    short(d: string | Date, tz: string): string;
    long(d: string | Date, tz: string): string;
    day(d: string | Date, tz: string): string;
    clock(d: string | Date, tz: string): string;
    status(s: string): string;
    componentStatus(s: ComponentStatus): string;
    priority(p: number): string;
  };
  /** Subscribe, confirm and manage: set for the uncached subscriber pages only. */
  subscriptions?: SubscriptionPages;
  /** Filing reports and following them (uncached, per-visitor paths only). */
  reports?: ReportPages;
  /** The client's network address (for per-client rate limits). */
  clientAddress?: string;
  /** Set for cacheable public GETs: the site middleware stores the rendered page with it. */
  storePage?: (entry: Omit<CachedResponse, 'etag'>) => CachedResponse;
  /**
   * Set only on per-visitor (uncached) paths: the session, if any, and the CSRF token every
   * form must carry as the hidden field `_csrf` (the site middleware refuses POSTs without it).
   */
  visitor?: Visitor;
  /** Sign-in, sign-out and first-admin setup (per-visitor paths only). */
  auth?: AuthServices;
  /** Set when someone is signed in (always on /admin pages, which require it). */
  admin?: AdminServices;
}

export function createSiteLocals(reader: StatusReader, now: () => Date): SiteLocals {
  return {
    reader,
    now,
    format: {
      short: formatShort,
      long: formatLong,
      day: formatDay,
      clock: (d, tz) => formatClock(d, tz, now()),
      status: statusLabel,
      componentStatus: (s) => componentStatusLabels[s],
      priority: (p) => `P${p} · ${priorityMeanings[p] ?? ''}`,
    },
  };
}
