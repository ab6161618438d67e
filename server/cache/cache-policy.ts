import { type Language, languageFromQuery, requestedLanguage } from '../i18n/languages.ts';

/** Paths whose answers differ per visitor (sessions, forms with tokens): never cached. */
export const uncachedPrefixes = [
  // A named audience's page, feeds and v2 JSON: private to its members.
  '/a',
  '/admin',
  '/api/admin',
  '/api/intake',
  '/login',
  '/sso',
  '/logout',
  '/setup',
  '/subscribe',
  '/confirm',
  '/manage',
  '/unsubscribe',
  '/report',
  '/healthz',
  '/language',
];

// Each prefix as the path itself, a folder, or with a query: built once, checked per request.
const uncachedForms = uncachedPrefixes.map((p) => [p, `${p}/`, `${p}?`] as const);

export function isCacheablePath(pathname: string): boolean {
  for (const [exact, folder, query] of uncachedForms) {
    if (pathname === exact || pathname.startsWith(folder) || pathname.startsWith(query))
      return false;
  }
  return true;
}

/** One key space for every cached GET: the path and query as the client sent them. */
export function cacheKey(pathAndQuery: string, lang: Language | null = null): string {
  return lang === null ? pathAndQuery : `${lang} ${pathAndQuery}`;
}

// --- Language: pages follow their reader, so the reader's language is part of the key. ---

/** The path and query a cache key was made from (without its language). */
export function pathOfKey(key: string): string {
  const space = key.indexOf(' ');
  return space > 0 && space <= 5 ? key.slice(space + 1) : key;
}

function pathnameOf(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  return q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
}

/**
 * True for pages, which speak the reader's language: a `?lang=` link, else the language menu's
 * cookie, else Accept-Language. Feeds, the calendar, the embed and the badge are URLs other
 * programs share, so only a `?lang=` link picks theirs; the JSON API has no language.
 */
export function negotiatesLanguage(pathname: string): boolean {
  return !(
    pathname.startsWith('/api/') ||
    pathname === '/history.rss' ||
    pathname === '/history.atom' ||
    pathname === '/maintenance.ics' ||
    pathname === '/badge.svg'
  );
}

/**
 * The language part of a cached GET's key: what the request asks for (null: the page's default
 * language, a setting whose change bumps the change counter). Only negotiated pages need it; for
 * the rest the `?lang=` in the path already tells the languages apart.
 */
export function cacheLanguage(
  pathAndQuery: string,
  headers: { cookie?: string | undefined; acceptLanguage?: string | undefined },
): Language | null {
  if (!negotiatesLanguage(pathnameOf(pathAndQuery))) return null;
  return requestedLanguage(pathAndQuery, headers);
}

/** Vary for a public body: a negotiated page without `?lang=` differs by Accept-Language and the cookie. */
function varyFor(pathAndQuery: string): string {
  return negotiatesLanguage(pathnameOf(pathAndQuery)) && !languageFromQuery(pathAndQuery)
    ? 'Accept-Encoding, Accept-Language, Cookie'
    : 'Accept-Encoding';
}

/**
 * How long a caching edge keeps a public body: until a purge tells it otherwise (every write
 * purges), so a long lifetime costs no freshness. Browsers always revalidate (max-age=0, a
 * cheap 304). stale-if-error keeps the last page up for a day while Herald is down.
 */
export const EDGE_MAX_AGE_SECONDS = 86400;
export const EDGE_STALE_WHILE_REVALIDATE_SECONDS = 10;
export const EDGE_STALE_IF_ERROR_SECONDS = 86400;
// Browsers honour stale-while-revalidate too (Chrome serves the old body and refreshes it in
// the background), which would show a visitor the page from before a write: it goes only to
// the edges, in the headers browsers ignore (Surrogate-Control for Varnish and Fastly,
// CDN-Cache-Control for Cloudflare and other CDNs).
export const publicCacheControl = `public, max-age=0, s-maxage=${EDGE_MAX_AGE_SECONDS}, stale-if-error=${EDGE_STALE_IF_ERROR_SECONDS}`;
export const edgeCacheControl = `max-age=${EDGE_MAX_AGE_SECONDS}, stale-while-revalidate=${EDGE_STALE_WHILE_REVALIDATE_SECONDS}, stale-if-error=${EDGE_STALE_IF_ERROR_SECONDS}`;

/**
 * A page that does not exist: edges may keep the answer a minute (a storm on a dead link stays
 * off Herald) but no longer, so nobody can fill an edge with made-up paths for a day.
 */
export const NOT_FOUND_EDGE_SECONDS = 60;
export const notFoundCacheControl = `public, max-age=0, s-maxage=${NOT_FOUND_EDGE_SECONDS}`;

/** Every public body carries this key, so one purge of it refreshes the whole edge. */
export const ALL_KEY = 'herald';

// Ids are 12 base-36 characters; anything else in a path is visitor text and never a key.
const idPattern = /^[a-z0-9]{1,32}$/;

/**
 * The surrogate keys of a public body: what it depends on, by id, never by visitor text.
 * Pages and feeds show the whole page (components, incidents, maintenance, the banner), so they
 * carry the broad keys; an incident's own page also names its id.
 */
export function surrogateKeysFor(pathAndQuery: string): string[] {
  const q = pathAndQuery.indexOf('?');
  const pathname = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  const keys = [ALL_KEY];
  if (pathname.startsWith('/api/v2/')) {
    keys.push('api', 'status');
    const name = pathname.slice('/api/v2/'.length);
    if (name.startsWith('components')) keys.push('components');
    else if (name.startsWith('incidents')) keys.push('incidents');
    else if (name.startsWith('scheduled-maintenances')) keys.push('maintenance');
    else if (name === 'summary.json') keys.push('components', 'incidents', 'maintenance');
    return keys;
  }
  if (pathname === '/history.rss' || pathname === '/history.atom') {
    keys.push('feed', 'incidents', 'maintenance');
    return keys;
  }
  if (pathname === '/maintenance.ics') {
    keys.push('feed', 'maintenance');
    return keys;
  }
  keys.push('page', 'status', 'components', 'incidents', 'maintenance');
  const incident = /^\/incidents\/([^/]+)\/?$/.exec(pathname)?.[1];
  if (incident && idPattern.test(incident)) keys.push(`incident:${incident}`);
  return keys;
}

/** The caching edges Herald purges (EDGE_PURGE_URLS), by kind: they decide what a body carries. */
export type EdgeKinds = ReadonlySet<'varnish' | 'fastly' | 'cloudflare'>;

/**
 * Without a purge target no edge can be told about a change, so a shared cache must ask every
 * time (s-maxage=0, a cheap 304 on the ETag); stale-if-error still keeps the page up while
 * Herald is down.
 */
export const unpurgedCacheControl = `public, max-age=0, s-maxage=0, stale-if-error=${EDGE_STALE_IF_ERROR_SECONDS}`;

/**
 * Headers every public cached body carries, on the cache-front fast path and through Hono and
 * Astro alike (they are stored with the entry). With purge targets: the edge lifetime, and the
 * surrogate keys in the spelling each configured edge reads (Varnish `xkey`, Fastly
 * `Surrogate-Key` with `Surrogate-Control`, Cloudflare `Cache-Tag` with `CDN-Cache-Control`).
 * Every header costs each of the many requests of a refresh storm, so none is sent that no
 * configured edge reads.
 */
export function publicCacheHeaders(pathAndQuery: string, edges: EdgeKinds): Record<string, string> {
  const vary = varyFor(pathAndQuery);
  if (edges.size === 0) return { 'cache-control': unpurgedCacheControl, vary };
  const headers: Record<string, string> = { 'cache-control': publicCacheControl, vary };
  if (edges.has('fastly')) headers['surrogate-control'] = edgeCacheControl;
  if (edges.has('cloudflare')) headers['cdn-cache-control'] = edgeCacheControl;
  return { ...headers, ...keyHeaders(pathAndQuery, edges) };
}

/**
 * Headers of a public page's 404: the edge keeps it a minute at most (notFoundCacheControl),
 * one copy per language as for the page (the same Vary), and with the page's surrogate keys,
 * so the write that makes the page exist (an incident made public) purges the 404 with the
 * rest instead of leaving it up to a minute.
 */
export function notFoundCacheHeaders(
  pathAndQuery: string,
  edges: EdgeKinds,
): Record<string, string> {
  return {
    'cache-control': notFoundCacheControl,
    vary: varyFor(pathAndQuery),
    ...keyHeaders(pathAndQuery, edges),
  };
}

/** The surrogate keys in the spelling each configured edge reads. */
function keyHeaders(pathAndQuery: string, edges: EdgeKinds): Record<string, string> {
  if (edges.size === 0) return {};
  const keys = surrogateKeysFor(pathAndQuery);
  const headers: Record<string, string> = {};
  if (edges.has('varnish')) headers.xkey = keys.join(' ');
  if (edges.has('fastly')) headers['surrogate-key'] = keys.join(' ');
  if (edges.has('cloudflare')) headers['cache-tag'] = keys.join(',');
  return headers;
}
