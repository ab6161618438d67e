import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Deps } from '../deps.ts';
import {
  beginOidcSignIn,
  completeReaderSignIn,
  completeStaffSignIn,
  takeOidcSignIn,
  takeOidcSignInForHost,
} from '../domain/users/oidc-sign-in.ts';
import { handOffReaderSession, takeReaderHandoff } from '../domain/auth/reader-handoff.ts';
import { audienceForHost } from '../http/audience-host.ts';
import { READER_SESSION_MAX_MS } from '../domain/auth/reader-sessions.ts';
import { SESSION_MAX_MS } from '../domain/auth/sessions.ts';
import { DomainError, NotFoundError } from '../domain/shared/errors.ts';
import {
  OIDC_COOKIE,
  READER_COOKIE,
  readCookie,
  SESSION_COOKIE,
  serializeCookie,
} from '../http/cookies.ts';
import { privatePageHeaders } from '../http/page-headers.ts';
import { createOidcClient, OIDC_CALLBACK_PATH } from '../sso/oidc-client.ts';
import { safeNext } from '../web/forms/form.ts';

/** Where the public host hands a reader's sign-in to an audience's own host name. */
const HANDOFF_PATH = '/sso/handoff';

const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

function page(status: number, title: string, text: string, link: { href: string; label: string }) {
  const body = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><main><h1>${title}</h1><p>${text}</p><p><a href="${link.href}">${link.label}</a></p></main></body></html>`;
  return new Response(String(body), {
    status,
    headers: { ...privatePageHeaders, 'content-type': 'text/html; charset=utf-8' },
  });
}

/**
 * Single sign-on through the company's OpenID Connect provider: `/sso/start` sends the browser
 * to the provider (staff for /admin, or a reader for an audience page), `/sso/callback` takes its
 * answer. Refused sign-ins write nothing: no user, no session.
 */
export function ssoRoutes(deps: Deps) {
  const app = new Hono();
  const settings = deps.config.oidc;
  const client = settings ? createOidcClient(settings, deps.config.publicUrl) : null;
  const protocol = new URL(deps.config.publicUrl).protocol;
  const notConfigured = () =>
    page(404, 'Single sign-on is not set up', 'This Herald has no sign-in provider configured.', {
      href: '/login',
      label: 'Sign in with a password',
    });

  app.get('/sso/start', async (c) => {
    if (!client) return notConfigured();
    const purpose = c.req.query('for') === 'reader' ? 'reader' : 'staff';
    const slug = c.req.query('audience') ?? '';
    if (purpose === 'reader' && !slugPattern.test(slug))
      return page(404, 'Not found', 'There is no such page.', { href: '/', label: 'Status page' });
    let started;
    try {
      started = await client.start();
    } catch (e) {
      deps.log.error('single sign-on: the provider could not be reached', { error: String(e) });
      return page(
        502,
        'The sign-in service does not answer',
        'Herald could not reach the company sign-in service. Try again in a minute; staff can still sign in with a password if it is allowed.',
        { href: purpose === 'reader' ? `/a/${slug}/sign-in` : '/login', label: 'Back' },
      );
    }
    // Started on the audience's own host name: the provider answers on the public host, and
    // the sign-in is handed back here, where this browser's cookies are.
    const host = c.req.header('host');
    const returnHost =
      purpose === 'reader' && host && audienceForHost(deps.config, host) === slug
        ? host.toLowerCase()
        : null;
    const browser = await beginOidcSignIn(deps, {
      purpose,
      audienceSlug: purpose === 'reader' ? slug : null,
      returnHost,
      next:
        purpose === 'reader'
          ? `/a/${slug}`
          : safeNext(c.req.query('next'), '/admin', deps.config.publicUrl),
      ...started.checks,
    });
    return new Response(null, {
      status: 303,
      headers: {
        ...privatePageHeaders,
        location: started.url.href,
        // SameSite=Lax: the provider's redirect back is a top-level GET, which Lax lets through.
        'set-cookie': serializeCookie(deps.config, OIDC_COOKIE, browser, 600),
      },
    });
  });

  app.get(OIDC_CALLBACK_PATH, async (c) => {
    if (!client) return notConfigured();
    // A sign-in started on an audience's own host name is found by its state (its cookie is on
    // that host); any other by this browser's cookie.
    const fromHost = await takeOidcSignInForHost(deps, c.req.query('state'));
    const pending =
      fromHost ?? (await takeOidcSignIn(deps, readCookie(c.req.header('cookie'), OIDC_COOKIE)));
    const clear = serializeCookie(deps.config, OIDC_COOKIE, '', 0);
    if (!pending) {
      const r = page(
        400,
        'This sign-in is not valid any more',
        'It was already used, took longer than ten minutes, or was started in another browser. Start again.',
        { href: '/login', label: 'Sign in' },
      );
      r.headers.append('set-cookie', clear);
      return r;
    }
    const onHost = pending.returnHost ? `${protocol}//${pending.returnHost}` : '';
    const back =
      pending.purpose === 'reader'
        ? { href: `${onHost}/a/${pending.audienceSlug}/sign-in`, label: 'Back to the sign-in page' }
        : { href: '/login', label: 'Back to the sign-in page' };
    const search = new URL(c.req.url).search;
    let identity;
    try {
      identity = await client.finish(
        new URL(`${deps.config.publicUrl}${OIDC_CALLBACK_PATH}${search}`),
        pending,
      );
    } catch (e) {
      // The provider's own error (access_denied...), a state, nonce or signature mismatch: all
      // refused alike; the log keeps the reason for the operator.
      deps.log.info('single sign-on refused: the answer did not verify', { error: String(e) });
      const r = page(
        401,
        'Sign-in failed',
        "The sign-in service's answer could not be verified, so nobody was signed in. Start again; if it keeps failing, the operator's log says why.",
        back,
      );
      r.headers.append('set-cookie', clear);
      return r;
    }
    try {
      if (pending.purpose === 'staff') {
        const s = await completeStaffSignIn(deps, identity);
        const r = new Response(null, {
          status: 303,
          headers: { ...privatePageHeaders, location: pending.next },
        });
        r.headers.append('set-cookie', clear);
        r.headers.append(
          'set-cookie',
          serializeCookie(deps.config, SESSION_COOKIE, s.token, SESSION_MAX_MS / 1000),
        );
        return r;
      }
      const s = await completeReaderSignIn(deps, identity, pending.audienceSlug ?? '');
      if (fromHost) {
        const handoff = await handOffReaderSession(deps, {
          sessionToken: s.token,
          browserHash: fromHost.browserHash,
          audienceSlug: s.slug,
        });
        const r = new Response(null, {
          status: 303,
          headers: {
            ...privatePageHeaders,
            location: `${onHost}${HANDOFF_PATH}?token=${handoff}`,
          },
        });
        r.headers.append('set-cookie', clear);
        return r;
      }
      const r = new Response(null, {
        status: 303,
        headers: { ...privatePageHeaders, location: `/a/${s.slug}` },
      });
      r.headers.append('set-cookie', clear);
      r.headers.append(
        'set-cookie',
        serializeCookie(deps.config, READER_COOKIE, s.token, READER_SESSION_MAX_MS / 1000),
      );
      return r;
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      // A reader who does not belong sees the audience page's own 404 (it tells nothing).
      const r =
        e instanceof NotFoundError
          ? page(404, 'Not found', 'There is no such page.', { href: '/', label: 'Status page' })
          : page(403, 'Not allowed', e.message, back);
      r.headers.append('set-cookie', clear);
      return r;
    }
  });

  // The audience's own host name takes a sign-in the public host handed to it: with the cookie
  // this browser was given when it started there, the reader is signed in on this host.
  app.get(HANDOFF_PATH, async (c) => {
    if (!client) return notConfigured();
    const slug = audienceForHost(deps.config, c.req.header('host'));
    const clear = serializeCookie(deps.config, OIDC_COOKIE, '', 0);
    const s =
      slug === null
        ? null
        : await takeReaderHandoff(deps, {
            token: c.req.query('token'),
            browser: readCookie(c.req.header('cookie'), OIDC_COOKIE),
            audienceSlug: slug,
          });
    if (!s) {
      const r = page(
        400,
        'This sign-in is not valid any more',
        'It was already used, took too long, or was started in another browser. Start again.',
        slug === null
          ? { href: '/', label: 'Status page' }
          : { href: `/a/${slug}/sign-in`, label: 'Back to the sign-in page' },
      );
      r.headers.append('set-cookie', clear);
      return r;
    }
    const r = new Response(null, {
      status: 303,
      headers: { ...privatePageHeaders, location: '/' },
    });
    r.headers.append('set-cookie', clear);
    r.headers.append(
      'set-cookie',
      serializeCookie(deps.config, READER_COOKIE, s.token, READER_SESSION_MAX_MS / 1000),
    );
    return r;
  });
  return app;
}
