import { defineMiddleware } from 'astro:middleware';

// Public pages are the same for every visitor: no cookies, no per-visitor tokens, so they can
// be served from the change-keyed cache. Headers are set here because Astro writes its own
// responses.
const securityHeaders: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
};

export const onRequest = defineMiddleware(async (ctx, next) => {
  if (!ctx.locals.herald) {
    return new Response('Herald pages are served by the Herald server: run `npm start`.', { status: 503 });
  }
  const response = await next();
  for (const [k, v] of Object.entries(securityHeaders)) if (!response.headers.has(k)) response.headers.set(k, v);
  const store = ctx.locals.herald.storePage;
  if (response.headers.get('content-type') === 'text/html') response.headers.set('content-type', 'text/html; charset=utf-8');
  const type = response.headers.get('content-type') ?? '';
  if (!store || !type.startsWith('text/html') || (response.status !== 200 && response.status !== 404)) {
    if (!response.headers.has('cache-control')) response.headers.set('cache-control', 'no-store');
    return response;
  }
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = { 'cache-control': 'no-cache' };
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie' && k !== 'content-length') headers[k] = v;
  });
  headers['cache-control'] = 'no-cache';
  const entry = store({ status: response.status, body, headers });
  return new Response(body, { status: response.status, headers: { ...entry.headers, etag: entry.etag } });
});
