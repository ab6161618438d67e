import { audienceForHost } from '../http/audience-host.ts';
import { existsSync, readdirSync } from 'node:fs';
import { createAudiencePages } from './audience-pages.ts';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HttpBindings } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { IncomingMessage } from 'node:http';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Deps } from '../deps.ts';
import { refusal } from './refusal-page.ts';
import { createAdminServices } from './admin-services.ts';
import { createSubmissionGuard } from './forms/once.ts';
import { createAuthServices, createReaderAuth, readerLinkLimiter } from './forms/auth.ts';
import { hasRole } from '../domain/shared/actor.ts';
import { isAdminPath, roleForAdminPath } from '../http/admin-pages.ts';
import { resolveVisitor, type Visitor } from '../http/auth.ts';
import { respondFromCache } from '../cache/cached.ts';
import { cacheKey, cacheLanguage, isCacheablePath } from '../cache/cache-policy.ts';
import { languageFromQuery, requestedLanguage } from '../i18n/languages.ts';
import { type Translator, translatorFor } from '../i18n/catalogue.ts';
import { originAllowed } from '../http/csrf.ts';
import { privatePageHeaders } from '../http/page-headers.ts';
import { clientAddress } from '../http/client-address.ts';
import { DEVICE_COOKIE, readCookie } from '../http/cookies.ts';
import { decodedPath } from '../http/request-path.ts';
import { createSiteLocals } from './locals.ts';
import { createUptimeReader } from '../domain/uptime/uptime-reader.ts';
import { createSubscriptionPages } from './forms/subscriptions.ts';
import { createFollowPages } from './forms/follow.ts';
import { createReportPages, type ReportPages } from './forms/reports.ts';
import { readReportUpload, type StagedUpload, UploadSlots } from './report-upload.ts';
import { RateLimitedError } from '../domain/shared/errors.ts';

export const siteDist = fileURLToPath(new URL('../../site/dist/', import.meta.url));

type AstroHandler = (
  req: IncomingMessage,
  res: unknown,
  next: (() => Promise<void>) | undefined,
  locals: App.Locals,
) => Promise<void>;
declare namespace App {
  interface Locals {
    herald: ReturnType<typeof createSiteLocals>;
  }
}

/**
 * The reader's language for the refusals below, set per request before anything is refused
 * (the body limit answers from inside hono's middleware, which knows only the request).
 */
const refusalLanguage = new WeakMap<Request, Translator>();
const speakerOf = (c: Context) => refusalLanguage.get(c.req.raw) ?? translatorFor('en');

/** Pages answer these; anything else (TRACE, PUT, OPTIONS...) is a 405, never a 500. */
const PAGE_METHODS = new Set(['GET', 'HEAD', 'POST']);
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * Body limits for page forms. Public forms are a few fields, so a small limit keeps an
 * anonymous client from making Herald hold large bodies; admin forms carry long updates; the
 * subscriber import takes a CSV of up to 10 MB (the import's own limit) plus multipart framing;
 * a report carries a screenshot of up to 5 MB, so a little more than that is read and the
 * report form itself names an attachment over its limit.
 */
export const PAGE_BODY_LIMITS = {
  public: 16 * 1024,
  admin: 1024 * 1024,
  report: 6 * 1024 * 1024,
  import: 11 * 1024 * 1024,
} as const;

function bodyLimitFor(pathname: string, mayUpload: boolean): number {
  if (pathname === '/admin/subscribers') return PAGE_BODY_LIMITS.import;
  if (mayUpload) return PAGE_BODY_LIMITS.report;
  if (isAdminPath(pathname)) return PAGE_BODY_LIMITS.admin;
  return PAGE_BODY_LIMITS.public;
}

/** The link token of `/report/<token>` (the emailed form), or null for any other path. */
function reportLinkToken(pathname: string): string | null {
  const m = /^\/report\/([^/]+)\/?$/.exec(pathname);
  return m && m[1] !== 'status' ? m[1]! : null;
}

/** Report bodies streaming in at once per process (each up to PAGE_BODY_LIMITS.report). */
export const MAX_CONCURRENT_UPLOADS = 4;

const limiters = new Map(
  Object.values(PAGE_BODY_LIMITS).map((maxSize) => [
    maxSize,
    bodyLimit({
      maxSize,
      onError: (c) => {
        const tr = speakerOf(c);
        return refusal(
          tr,
          413,
          tr.t('refuse.tooLargeTitle'),
          tr.t('refuse.tooLarge', { kb: Math.round(maxSize / 1024) }),
          { href: '/', label: tr.t('error.goToStatus') },
        );
      },
    }),
  ]),
);

/**
 * Reads a page POST's body within its limit before Astro sees it (413 from the declared
 * Content-Length before reading anything, or as soon as a streamed body passes the limit),
 * refuses what is not a form (415) or not a readable one (400), and hands the bytes to Astro
 * as `req.body`, which its Node adapter uses instead of reading the socket again.
 */
async function readPageForm(
  c: Context,
  incoming: IncomingMessage,
  pathname: string,
  mayUpload: boolean,
): Promise<Response | null> {
  const limiter = limiters.get(bodyLimitFor(pathname, mayUpload))!;
  const refused = await limiter(c, async () => {});
  if (refused instanceof Response) return refused;
  const body = Buffer.from(await c.req.arrayBuffer());
  const type = c.req.header('content-type') ?? '';
  const tr = speakerOf(c);
  const back = { href: pathname, label: tr.t('refuse.back') };
  // Show back what was sent, except where it may hold a password (never echoed, as in forms).
  const text = body.toString('utf8', 0, Math.min(body.length, 4000));
  const sent = /password/i.test(text) || /^\/(login|setup)$/.test(pathname) ? undefined : text;
  if (!FORM_TYPES.has(type.split(';')[0]!.trim().toLowerCase())) {
    return refusal(
      tr,
      415,
      tr.t('refuse.notFormTitle'),
      tr.t('refuse.notForm', { type: type || tr.t('refuse.noType') }),
      back,
      { sent },
    );
  }
  try {
    await new Request('http://herald.invalid/', {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    }).formData();
  } catch {
    return refusal(tr, 400, tr.t('refuse.unreadableTitle'), tr.t('refuse.unreadable'), back, {
      sent,
    });
  }
  (incoming as IncomingMessage & { body?: Buffer }).body = body;
  return null;
}

/**
 * Takes a report body with an attachment off the socket, in this order: the client's report
 * budget and the declared size (nothing read yet), a free upload slot (503 when every slot is
 * busy), then the stream itself, whose first part must be the form token (or the
 * X-CSRF-Token header) before anything else is read. The page then sees the text fields as a
 * small urlencoded form and the attachment as a file on disk.
 */
async function stageReportUpload(
  c: Context,
  incoming: IncomingMessage,
  pathname: string,
  visitor: Visitor,
  reportPages: ReportPages,
  slots: UploadSlots,
  deps: Deps,
): Promise<Response | { upload: StagedUpload; cleanup(): Promise<void>; release(): void }> {
  const tr = speakerOf(c);
  const back = { href: pathname, label: tr.t('refuse.back') };
  try {
    reportPages.checkBudget(clientAddress(c, deps.config));
  } catch (err) {
    if (!(err instanceof RateLimitedError)) throw err;
    const text = err.says ? tr.t(err.says.key, err.says.values) : err.message;
    return refusal(tr, 429, tr.t('refuse.tooManyReportsTitle'), text, back, {
      headers: { 'retry-after': String(err.retryAfterSeconds) },
    });
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > PAGE_BODY_LIMITS.report) {
    const limiter = limiters.get(PAGE_BODY_LIMITS.report)!;
    const refused = await limiter(c, async () => {});
    if (refused instanceof Response) return refused;
  }
  const release = slots.take();
  if (!release)
    return refusal(tr, 503, tr.t('refuse.busyTitle'), tr.t('refuse.busy'), back, {
      headers: { 'retry-after': '5' },
    });
  const read = await readReportUpload(incoming, visitor.csrfOk, c.req.header('x-csrf-token')).catch(
    (err: unknown) => {
      release();
      throw err;
    },
  );
  if (!read.ok) {
    release();
    return read.reason === 'csrf'
      ? refusal(tr, 403, tr.t('refuse.expiredTitle'), tr.t('refuse.expired'), back)
      : refusal(tr, 400, tr.t('refuse.unreadableTitle'), tr.t('refuse.unreadable'), back);
  }
  const body = Buffer.from(read.fields.toString());
  incoming.headers['content-type'] = 'application/x-www-form-urlencoded';
  incoming.headers['content-length'] = String(body.length);
  delete incoming.headers['transfer-encoding'];
  (incoming as IncomingMessage & { body?: Buffer }).body = body;
  return { upload: read.upload, cleanup: read.cleanup, release };
}

/**
 * Mounts the built Astro site as the catch-all after the API and feeds: hashed assets with a
 * long cache, other static files, then every page through Astro's Node handler with Herald's
 * read services in `locals`. Public pages are served from the change-keyed cache.
 */
export async function mountSite(
  app: Hono<{ Bindings: Partial<HttpBindings> }>,
  deps: Deps,
  distDir = siteDist,
): Promise<void> {
  const entry = path.join(distDir, 'server', 'entry.mjs');
  if (!existsSync(entry)) {
    throw new Error(`The site is not built (${entry} is missing): run \`npm run build\` first.`);
  }
  const { handler } = (await import(pathToFileURL(entry).href)) as { handler: AstroHandler };
  const clientDir = path.relative(process.cwd(), path.join(distDir, 'client')) || '.';

  app.use(
    '/_astro/*',
    serveStatic({
      root: clientDir,
      onFound: (_p, c) => c.header('Cache-Control', 'public, max-age=31536000, immutable'),
    }),
  );
  // Other public files (favicon, robots.txt) are listed once at start-up, so page requests
  // never pay for a filesystem lookup.
  const staticServe = serveStatic({
    root: clientDir,
    onFound: (_p, c) => c.header('Cache-Control', 'public, max-age=3600'),
  });
  for (const file of listFiles(path.join(distDir, 'client'))) {
    if (!file.startsWith('_astro/')) app.get(`/${file}`, staticServe);
  }

  const subscriptions = createSubscriptionPages(deps);
  const readerLinks = readerLinkLimiter();
  const follow = createFollowPages(deps);
  const now = () => deps.clock.now();
  const uptime = createUptimeReader(deps.db, now, async () => (await deps.reader.page()).time_zone);
  const reportPages = createReportPages(deps);
  const slots = new UploadSlots(MAX_CONCURRENT_UPLOADS);
  const submissionGuard = createSubmissionGuard(deps);
  app.all('*', async (c) => {
    const { incoming, outgoing } = nodeBindings(c.env);
    const method = c.req.method;
    const url = new URL(c.req.url);
    // The server front made the path canonical; decisions read it decoded, as Astro routes it.
    const pathname = decodedPath(url.pathname);
    const pathAndQuery = url.pathname + url.search;
    const asks = {
      cookie: c.req.header('cookie'),
      acceptLanguage: c.req.header('accept-language'),
    };
    // The admin is the team's own tool and stays in English; every page readers see speaks theirs.
    const requested = isAdminPath(pathname) ? 'en' : requestedLanguage(pathAndQuery, asks);
    // The error pages must render even when the database does not answer.
    const pageLanguage = await deps.reader.defaultLanguage().catch(() => 'en' as const);
    const locals = createSiteLocals(
      deps.reader,
      now,
      uptime,
      requested ?? pageLanguage,
      languageFromQuery(pathAndQuery),
      pageLanguage,
    );
    const tr = locals.i18n;
    refusalLanguage.set(c.req.raw, tr);
    if (!PAGE_METHODS.has(method)) {
      return refusal(
        tr,
        405,
        tr.t('refuse.methodTitle'),
        tr.t('refuse.method', { method }),
        { href: '/', label: tr.t('error.goToStatus') },
        { headers: { allow: 'GET, HEAD, POST' } },
      );
    }
    // The error page is for real faults only; asked for by name it does not exist.
    if (pathname === '/500') incoming.url = '/404';
    // On an audience's own host name its page is the home page; every answer there is per
    // visitor, so nothing on that host is cached.
    const hostAudience = audienceForHost(deps.config, c.req.header('host'));
    if (hostAudience !== null && pathname === '/') incoming.url = `/a/${hostAudience}`;
    const cacheable =
      (method === 'GET' || method === 'HEAD') && isCacheablePath(pathname) && hostAudience === null;
    let upload: { cleanup(): Promise<void>; release(): void } | null = null;
    if (cacheable) {
      const counter = await deps.reader.changeCounter();
      const key = cacheKey(pathAndQuery, cacheLanguage(pathAndQuery, asks));
      const hit = deps.cache.get(counter, key);
      if (hit)
        return respondFromCache(
          c.req.header('if-none-match'),
          hit,
          c.req.header('accept-encoding'),
        );
      locals.storePage = (e) => deps.cache.set(counter, key, e);
      locals.notFoundHeaders = () => deps.cache.notFoundHeaders(key);
    } else {
      const out = outgoing;
      const setCookie = (v: string) => out.appendHeader('set-cookie', v);
      if (
        method !== 'GET' &&
        method !== 'HEAD' &&
        !originAllowed(deps.config, {
          origin: c.req.header('origin'),
          referer: c.req.header('referer'),
          host: c.req.header('host'),
        })
      ) {
        const admin = isAdminPath(pathname);
        return refusal(
          tr,
          403,
          tr.t('refuse.crossSiteTitle'),
          tr.t('refuse.crossSite'),
          admin
            ? { href: '/admin', label: 'Go to the admin' }
            : { href: '/', label: tr.t('error.goToStatus') },
        );
      }
      const visitor = await resolveVisitor(deps, c.req.header('cookie'));
      if (isAdminPath(pathname)) {
        if (!visitor.session) {
          for (const v of visitor.setCookies) setCookie(v);
          const next =
            method === 'GET' ? `?next=${encodeURIComponent(url.pathname + url.search)}` : '';
          return new Response(null, {
            status: 303,
            headers: { ...privatePageHeaders, location: `/login${next}` },
          });
        }
        const role = roleForAdminPath(pathname);
        if (!hasRole(visitor.session.actor, role)) {
          // The admin is the team's own tool and stays in English (so is `tr` on its paths).
          return refusal(
            tr,
            403,
            'Not allowed',
            `This page needs the ${role} role; you are signed in as ${visitor.session.user.role}.`,
            { href: '/admin', label: 'Back to the dashboard' },
          );
        }
      }
      if (method === 'POST') {
        // Only a signed-in user on /report or a live link on /report/<token> may send a report
        // body with an attachment; everyone else gets the small form limit, so an anonymous
        // client never makes Herald read or hold megabytes.
        const link = reportLinkToken(pathname);
        const mayUpload =
          (pathname === '/report' && !!visitor.session) ||
          (link !== null && (await reportPages.linkValid(link)));
        const multipart = /^multipart\/form-data\s*;/i.test(c.req.header('content-type') ?? '');
        if (mayUpload && multipart) {
          const staged = await stageReportUpload(
            c,
            incoming,
            pathname,
            visitor,
            reportPages,
            slots,
            deps,
          );
          if (staged instanceof Response) return staged;
          locals.upload = staged.upload;
          upload = staged;
        } else {
          const refused = await readPageForm(c, incoming, pathname, mayUpload);
          if (refused) return refused;
        }
      }
      for (const v of visitor.setCookies) setCookie(v);
      for (const [k, v] of Object.entries(privatePageHeaders)) out.setHeader(k, v);
      locals.visitor = visitor;
      locals.settleWrites = () => deps.edge.settle();
      const client = clientAddress(c, deps.config);
      locals.auth = createAuthServices(
        deps,
        visitor,
        client,
        setCookie,
        readCookie(c.req.header('cookie'), DEVICE_COOKIE),
      );
      if (visitor.session)
        locals.admin = createAdminServices(deps, visitor.session, submissionGuard, client);
      locals.audiences = createAudiencePages(deps, visitor);
      locals.readerAuth = createReaderAuth(
        deps,
        visitor,
        { address: client, limiter: readerLinks },
        setCookie,
        c.req.header('host'),
      );
      locals.subscriptions = subscriptions;
      locals.follow = follow;
      locals.reports = reportPages;
      locals.clientAddress = client;
    }
    // Unknown paths fall through to `next`: render the 404 page with Herald's locals (Astro's
    // own fallback would render it without them).
    const notFound = () => {
      incoming.url = '/404';
      return handler(incoming, outgoing, undefined, { herald: locals });
    };
    try {
      await handler(incoming, outgoing, notFound, { herald: locals });
    } finally {
      if (upload) {
        upload.release();
        await upload.cleanup();
      }
    }
    return RESPONSE_ALREADY_SENT;
  });
}

/**
 * Astro renders straight to Node's request and response, which only @hono/node-server's
 * listener (createHttpServer) provides; `app.request()` has none.
 */
function nodeBindings(env: Partial<HttpBindings> | undefined): HttpBindings {
  const { incoming, outgoing } = env ?? {};
  if (!incoming || !outgoing)
    throw new Error(
      "Pages need Node's request and response: serve the app with createHttpServer, not app.request().",
    );
  return { incoming, outgoing };
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`)
      : [`${prefix}${e.name}`],
  );
}
