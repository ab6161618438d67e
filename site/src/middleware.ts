import type { APIContext, MiddlewareNext } from 'astro';
import { defineMiddleware } from 'astro:middleware';
import { respondFromCache } from '../../server/cache/cached.ts';
import { notFoundCacheControl } from '../../server/cache/cache-policy.ts';
import { privatePageHeaders, publicPageHeaders } from '../../server/http/page-headers.ts';
import { isAdminPath } from '../../server/http/admin-pages.ts';
import type { Translator } from '../../server/i18n/catalogue.ts';
import { refusal } from '../../server/web/refusal-page.ts';
import { runAdminPagePost } from '../../server/web/forms/page-posts.ts';

// Public pages are the same for every visitor: no cookies, no per-visitor tokens, so they can
// be served from the change-keyed cache. Per-visitor pages (server/web/mount-site.ts sets
// `visitor` for them) get private headers and have every POST checked for the visitor's CSRF
// token here, so no form can forget it. Headers are set here because Astro writes its own responses.

/** A form without its visitor's token: refused in the reader's language (English in the admin). */
function refuseForm(i18n: Translator, admin: boolean): Response {
  return refusal(i18n, 403, i18n.t('refuse.expiredTitle'), i18n.t('refuse.expired'), {
    href: admin ? '/admin' : '/',
    label: admin ? 'Go to the admin' : i18n.t('error.goToStatus'),
  });
}

/**
 * Renders the page; an admin page's POST runs its form action first (server/web/forms/
 * page-posts.ts): success is a 303 to where the action says, a refusal renders the page with
 * `posted` and answers with the refusal's status (and `Retry-After` when it must wait). A form sent again with its one-time token
 * (a double-click) does not run again: it answers with a 303 to where the first one went.
 */
async function answer(ctx: APIContext, next: MiddlewareNext): Promise<Response> {
  const { admin, auth } = ctx.locals.herald;
  const posted =
    ctx.request.method === 'POST' && admin && auth
      ? await runAdminPagePost(
          admin,
          auth,
          ctx.routePattern,
          ctx.params,
          () => ctx.request.clone().formData(),
          ctx.url.pathname,
        )
      : null;
  if (posted?.ok && posted.redirect)
    return new Response(null, { status: 303, headers: { location: posted.redirect } });
  if (posted) ctx.locals.herald.posted = posted;
  const response = await next();
  if (!posted || posted.ok || response.status !== 200 || posted.status === 200) return response;
  const headers = new Headers(response.headers);
  if (posted.retryAfter !== undefined) headers.set('retry-after', String(posted.retryAfter));
  return new Response(response.body, { status: posted.status, headers });
}

export const onRequest = defineMiddleware(async (ctx, next) => {
  if (!ctx.locals.herald) {
    return new Response('Herald pages are served by the Herald server: run `npm start`.', {
      status: 503,
    });
  }
  const visitor = ctx.locals.herald.visitor;
  if (ctx.request.method !== 'GET' && ctx.request.method !== 'HEAD') {
    let submitted: unknown = null;
    try {
      submitted = (await ctx.request.clone().formData()).get('_csrf');
    } catch {
      submitted = null;
    }
    // The subscribe form on the home page cannot carry a token (that page is cached for
    // everyone): POST /subscribe relies on the Origin check in server/web/mount-site.ts (and the
    // Sec-Fetch-Site check in server/web/forms/subscriptions.ts) plus per-client and per-address
    // rate limits. A forged subscribe only ever sends a confirmation email.
    const tokenFree = ctx.url.pathname === '/subscribe';
    if (!visitor || (!tokenFree && !visitor.csrfOk(submitted)))
      return refuseForm(ctx.locals.herald.i18n, isAdminPath(ctx.url.pathname));
  }
  const response = await answer(ctx, next);
  // A form post answers only after the caching edges dropped what it changed.
  if (ctx.request.method !== 'GET' && ctx.request.method !== 'HEAD')
    await ctx.locals.herald.settleWrites?.();
  if (visitor) {
    for (const [k, v] of Object.entries(privatePageHeaders)) response.headers.set(k, v);
    if (response.headers.get('content-type') === 'text/html')
      response.headers.set('content-type', 'text/html; charset=utf-8');
    return response;
  }
  for (const [k, v] of Object.entries(publicPageHeaders))
    if (!response.headers.has(k)) response.headers.set(k, v);
  const store = ctx.locals.herald.storePage;
  if (response.headers.get('content-type') === 'text/html')
    response.headers.set('content-type', 'text/html; charset=utf-8');
  const type = response.headers.get('content-type') ?? '';
  // Any path can be asked for, so a 404 is neither kept here (a flood of made-up paths would
  // push the real pages out) nor given the edge's day: edges keep it briefly, per language, and
  // drop it with the page's surrogate keys when a write makes the page exist.
  if (response.status === 404) {
    const notFound = ctx.locals.herald.notFoundHeaders?.() ?? {
      'cache-control': notFoundCacheControl,
    };
    for (const [k, v] of Object.entries(notFound)) response.headers.set(k, v);
    return response;
  }
  if (!store || !type.startsWith('text/html') || response.status !== 200) {
    if (!response.headers.has('cache-control')) response.headers.set('cache-control', 'no-store');
    return response;
  }
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie' && k !== 'content-length') headers[k] = v;
  });
  // The cache adds the edge lifetime, surrogate keys and Vary; the first visitor after a
  // change gets the same negotiated representation as everyone after them.
  const entry = store({ status: response.status, body, headers });
  return respondFromCache(
    ctx.request.headers.get('if-none-match') ?? undefined,
    entry,
    ctx.request.headers.get('accept-encoding') ?? undefined,
  );
});
