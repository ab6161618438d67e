import type { Context } from 'hono';
import type { Deps } from '../deps.ts';
import { cacheKey } from './cache-policy.ts';
import { type CachedResponse, etagMatches } from './response-cache.ts';

/**
 * Answers from the change-keyed cache, rendering on a miss, with an ETag and 304 for
 * If-None-Match. `no-cache` makes browsers and proxies revalidate every time, so a write is
 * visible on the next request while unchanged pages cost a 304.
 */
export async function cachedResponse(
  c: Context,
  deps: Pick<Deps, 'cache' | 'reader'>,
  contentType: string,
  produce: () => Promise<string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const url = new URL(c.req.url);
  const key = cacheKey(url.pathname + url.search);
  const counter = await deps.reader.changeCounter();
  let entry: CachedResponse | undefined = deps.cache.get(counter, key);
  if (!entry) {
    const body = Buffer.from(await produce());
    entry = deps.cache.set(counter, key, {
      status: 200,
      body,
      headers: { 'content-type': contentType, 'cache-control': 'no-cache', ...headers },
    });
  }
  return respondFromCache(c.req.header('if-none-match'), entry);
}

export function respondFromCache(ifNoneMatch: string | undefined, entry: CachedResponse): Response {
  if (etagMatches(ifNoneMatch, entry.etag)) {
    const { 'content-type': _ct, ...rest } = entry.headers;
    return new Response(null, { status: 304, headers: { ...rest, etag: entry.etag } });
  }
  return new Response(entry.body as Uint8Array<ArrayBuffer>, {
    status: entry.status,
    headers: { ...entry.headers, etag: entry.etag },
  });
}
