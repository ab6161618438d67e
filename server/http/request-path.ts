/**
 * The one spelling of a request's path that every decision sees: the cache front, Hono's
 * routing, the admin and CSRF checks and Astro's router. Astro decodes a path (repeatedly,
 * and collapses `//`) before it picks a page, so a check that looked at the raw path could be
 * stepped around with `/%61dmin` or `//admin`. Here the path is decoded until it is stable,
 * backslashes become slashes, runs of slashes collapse and dot segments resolve; characters
 * that are not plain path characters are encoded again once, so decoding the result once (as
 * every later layer does) gives the same path. The query string is left as sent: it is
 * visitor data that each reader parses itself.
 */
export type CanonicalUrl = { url: string } | { bad: string };

// Characters a path may carry unencoded (RFC 3986 pchar without `%`) plus the separator.
const PLAIN = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/gu;
// Nothing in a path can need more rounds than this; more is an attempt to outlast a decoder.
const MAX_DECODE_ROUNDS = 4;

export function canonicalRequestUrl(raw: string): CanonicalUrl {
  let target = raw;
  if (!target.startsWith('/')) {
    // Absolute form (`GET http://host/path`), which proxies may send.
    try {
      const u = new URL(target);
      target = u.pathname + u.search;
    } catch {
      return { bad: 'the request target is not a path' };
    }
  }
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  // The hot path: nothing to decode, no backslash, no `//`, no dot segment.
  if (!/[%\\]|\/\/|\/\.(?:\.)?(?:\/|$)/.test(path)) return { url: target };

  let decoded = path;
  for (let round = 0; round < MAX_DECODE_ROUNDS && decoded.includes('%'); round++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return { bad: 'the path has a malformed percent-encoding' };
    }
  }
  if (decoded.includes('%')) return { bad: 'the path is encoded too many times' };
  // No Herald path holds a control character, a query or a fragment marker in its path.
  if (/[\u0000-\u001f\u007f?#]/.test(decoded))
    return { bad: 'the path holds a character no page has' };
  let encoded: string;
  try {
    encoded = decoded
      .replace(/\\/g, '/')
      .replace(/\/{2,}/g, '/')
      .replace(PLAIN, encodeURIComponent);
  } catch {
    return { bad: 'the path is not valid UTF-8' };
  }
  // The WHATWG parser resolves `.` and `..` segments (and never leaves the root).
  const pathname = new URL(`http://herald.invalid${encoded}`).pathname;
  return { url: pathname + query };
}

/** The decoded form of a canonical path, for prefix decisions (admin, cache, CSRF). */
export function decodedPath(canonicalPathname: string): string {
  try {
    return decodeURIComponent(canonicalPathname);
  } catch {
    return canonicalPathname;
  }
}
