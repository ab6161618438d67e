import type { Context } from 'hono';
import { cacheKey, cacheLanguage } from './cache-policy.ts';
import { negotiateEncoding } from './negotiate.ts';
import {
  type CachedResponse,
  etagMatches,
  type ResponseCache,
  variantOf,
} from './response-cache.ts';

/**
 * What answering from the cache needs: the store and the change counter that keys it. Named
 * here rather than taken from deps.ts, which builds the cache: the composition root imports
 * the cache, never the other way round.
 */
export interface CacheDeps {
  cache: ResponseCache;
  reader: { changeCounter(): number | Promise<number> };
}

/**
 * Answers from the change-keyed cache, rendering on a miss, with an ETag and 304 for
 * If-None-Match. Browsers revalidate every time (max-age=0), so a write is visible on the next
 * request while unchanged pages cost a 304; edges keep the body until a purge.
 */
export async function cachedResponse(
  c: Context,
  deps: CacheDeps,
  contentType: string,
  produce: () => Promise<string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const url = new URL(c.req.url);
  const pathAndQuery = url.pathname + url.search;
  const key = cacheKey(
    pathAndQuery,
    cacheLanguage(pathAndQuery, {
      cookie: c.req.header('cookie'),
      acceptLanguage: c.req.header('accept-language'),
    }),
  );
  const counter = await deps.reader.changeCounter();
  let entry: CachedResponse | undefined = deps.cache.get(counter, key);
  if (!entry) {
    const body = Buffer.from(await produce());
    entry = deps.cache.set(counter, key, {
      status: 200,
      body,
      headers: { 'content-type': contentType, ...headers },
    });
  }
  return respondFromCache(c.req.header('if-none-match'), entry, c.req.header('accept-encoding'));
}

export function respondFromCache(
  ifNoneMatch: string | undefined,
  entry: CachedResponse,
  acceptEncoding: string | undefined,
): Response {
  const v = variantOf(entry, negotiateEncoding(acceptEncoding));
  if (etagMatches(ifNoneMatch, v.etag)) {
    return new Response(null, { status: 304, headers: stringHeaders(v.notModified) });
  }
  const { 'content-length': _l, ...headers } = v.headers;
  return new Response(v.body as Uint8Array<ArrayBuffer>, {
    status: entry.status,
    headers: stringHeaders(headers),
  });
}

function stringHeaders(h: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]));
}
