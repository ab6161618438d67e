import type { ComponentStatus } from '../../db/schema/enums.ts';
import type { StatusReader } from '../domain/status/reader.ts';
import { type MessageKey, type Translator, catalogues, translatorFor } from '../i18n/catalogue.ts';
import { dateFormatsFor } from '../i18n/dates.ts';
import { type UptimeText, uptimeTextFor } from '../i18n/uptime-text.ts';
import { formText } from '../i18n/form-text.ts';
import { eventLabel } from '../i18n/event-labels.ts';
import { updateTextFor } from '../i18n/update-text.ts';
import type { Language } from '../i18n/languages.ts';
import { impactWord } from '../domain/shared/subjects.ts';
import type { CachedResponse } from '../cache/response-cache.ts';
import type { SubscriptionPages } from './forms/subscriptions.ts';
import type { ReportPages } from './forms/reports.ts';
import type { StagedUpload } from './report-upload.ts';
import type { AdminServices } from './admin-services.ts';
import type { PagePostAnswer } from './forms/page-posts.ts';
import type { AuthServices } from './forms/auth.ts';
import type { Visitor } from '../http/auth.ts';
import type { UptimeReader } from '../domain/uptime/uptime-reader.ts';
import type { FollowPages } from './forms/follow.ts';
import type { AudiencePages } from './audience-pages.ts';
import type { ReaderAuthServices } from './forms/auth.ts';

/** What Herald hands every Astro page through `locals`: read services and formatters. */
export interface SiteLocals {
  reader: StatusReader;
  /** Daily and monthly uptime from the status history (bars, /uptime). */
  uptime: UptimeReader;
  /** Uptime's dates, minutes and shares in the reader's language (bars, /uptime). */
  uptimeText: UptimeText;
  /** A refused form's message and field messages in the reader's language. */
  formText(f: Parameters<typeof formText>[1]): ReturnType<typeof formText>;
  now(): Date;
  /** The reader's language (see server/i18n): its messages, direction and names. */
  i18n: Translator;
  /**
   * The language a `?lang=` link asked for, if any: links on such a page keep it, so a shared
   * link stays in its language without a cookie.
   */
  linkLanguage: Language | null;
  /** The page's default language: the one the PM writes updates in. */
  pageLanguage: Language;
  /**
   * An update's public text for this reader: the PM's translation into their language, else
   * the text as written, with its language (`lang`) when that is not the reader's.
   */
  updateText(u: { body: string; translations: Record<string, string> | null }): {
    text: string;
    lang: Language | null;
  };
  format: {
    short(d: string | Date, tz: string): string;
    long(d: string | Date, tz: string): string;
    day(d: string | Date, tz: string): string;
    clock(d: string | Date, tz: string): string;
    status(s: string): string;
    componentStatus(s: ComponentStatus): string;
    priority(p: number): string;
    /** An incident's impact in the public's words ("Major outage"), never its priority. */
    impact(impact: string): string;
    /** A webhook event in the reader's words ("An incident is declared"). */
    event(event: string): string;
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
  /** Set with storePage: the caching headers of a 404 at this address. */
  notFoundHeaders?: () => Record<string, string>;
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
  /** Readers' sign-in to audience pages (per-visitor paths only). */
  readerAuth?: ReaderAuthServices;
  /** A named audience's page for the visitor (per-visitor paths only). */
  audiences?: AudiencePages;
  /** Set when someone is signed in (always on /admin pages, which require it). */
  admin?: AdminServices;
  /**
   * An admin page's POST that did not redirect (web/forms/page-posts.ts, run by the site
   * middleware): a refusal the page renders with what was typed (the answer carries its
   * status), or an answer shown in place (a new token's secret).
   */
  posted?: PagePostAnswer;
}

export function createSiteLocals(
  reader: StatusReader,
  now: () => Date,
  uptime: UptimeReader,
  lang: Language = 'en',
  linkLanguage: Language | null = null,
  pageLanguage: Language = 'en',
): SiteLocals {
  const i18n = translatorFor(lang);
  const dates = dateFormatsFor(lang);
  const statusKey = (s: string) => `status.${s}` as MessageKey;
  return {
    reader,
    uptime,
    uptimeText: uptimeTextFor(lang),
    formText: (f) => formText(i18n, f),
    now,
    i18n,
    linkLanguage,
    pageLanguage,
    updateText: (u) => updateTextFor(u, lang, pageLanguage),
    format: {
      short: dates.short,
      long: dates.long,
      day: dates.day,
      clock: (d, tz) => dates.clock(d, tz, now()),
      // A status Herald does not know (never expected) shows as stored rather than failing.
      status: (s) => (`status.${s}` in catalogues.en ? i18n.t(statusKey(s)) : s),
      componentStatus: (s) => i18n.t(`component.${s}`),
      priority: (p) => `P${p} · ${i18n.t('priority.meaning', { priority: String(p) })}`,
      impact: (i) => impactWord(i, lang),
      event: (e) => eventLabel(i18n, e),
    },
  };
}
