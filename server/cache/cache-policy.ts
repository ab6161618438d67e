/** Paths whose answers differ per visitor (sessions, forms with tokens): never cached. */
export const uncachedPrefixes = [
  '/admin',
  '/api/admin',
  '/login',
  '/logout',
  '/setup',
  '/subscribe',
  '/confirm',
  '/manage',
  '/unsubscribe',
  '/report',
  '/healthz',
];

export function isCacheablePath(pathname: string): boolean {
  return !uncachedPrefixes.some(
    (p) =>
      pathname === p ||
      pathname.startsWith(p.endsWith('/') ? p : `${p}/`) ||
      pathname.startsWith(`${p}?`),
  );
}

/** One key space for every cached GET: the path and query as the client sent them. */
export function cacheKey(pathAndQuery: string): string {
  return pathAndQuery;
}
