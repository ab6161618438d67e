import type { ComponentStatus } from '../../db/schema/enums.ts';
import type { StatusReader } from '../domain/status/reader.ts';
import { componentStatusLabels, priorityMeanings, statusLabel } from '../domain/status/labels.ts';
import { formatClock, formatDay, formatLong, formatShort } from '../domain/shared/zoned-time.ts';
import type { CachedResponse } from '../cache/response-cache.ts';
import type { SubscriptionPages } from './forms/subscriptions.ts';
import type { ReportPages } from './forms/reports.ts';
import type { StagedUpload } from './report-upload.ts';
import type { AdminServices } from './admin-services.ts';
import type { AuthServices } from './forms/auth.ts';
import type { Visitor } from '../http/auth.ts';
import type { UptimeReader } from '../domain/uptime/uptime-reader.ts';
import type { FollowPages } from './forms/follow.ts';
import type { AudiencePages } from './audience-pages.ts';

/** What Herald hands every Astro page through `locals`: read services and formatters. */
export interface SiteLocals {
  reader: StatusReader;
  /** Daily and monthly uptime from the status history (bars, /uptime). */
  uptime: UptimeReader;
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
  /** Following one incident by webhook: set for the uncached pages only. */
  follow?: FollowPages;
  /** Filing reports and following them (uncached, per-visitor paths only). */
  reports?: ReportPages;
  /** The client's network address (for per-client rate limits). */
  clientAddress?: string;
  /** A multipart report form read off the socket: its attachment staged on disk. */
  upload?: StagedUpload;
  /** Set for cacheable public GETs: the site middleware stores the rendered page with it. */
  storePage?: (entry: Omit<CachedResponse, 'etag'>) => CachedResponse;
  /**
   * Set only on per-visitor (uncached) paths: the session, if any, and the CSRF token every
   * form must carry as the hidden field `_csrf` (the site middleware refuses POSTs without it).
   */
  visitor?: Visitor;
  /**
   * Per-visitor paths: sends the caching edges the purges of what a form post wrote, before
   * the site middleware lets the answer go (see server/edge/purger.ts).
   */
  settleWrites?: () => Promise<void>;
  /** Sign-in, sign-out and first-admin setup (per-visitor paths only). */
  auth?: AuthServices;
  /** A named audience's page for the visitor (per-visitor paths only). */
  audiences?: AudiencePages;
  /** Set when someone is signed in (always on /admin pages, which require it). */
  admin?: AdminServices;
}

export function createSiteLocals(
  reader: StatusReader,
  now: () => Date,
  uptime: UptimeReader,
): SiteLocals {
  return {
    reader,
    uptime,
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
