import { Hono } from 'hono';
import type { Context } from 'hono';
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
import { type Translator, translatorFor } from '../i18n/catalogue.ts';
import { type Language, languageFromQuery, requestedLanguage } from '../i18n/languages.ts';
import { createOidcClient, OIDC_CALLBACK_PATH } from '../sso/oidc-client.ts';
import { safeNext } from '../web/forms/form.ts';
import { refusal } from '../web/refusal-page.ts';

/** Where the public host hands a reader's sign-in to an audience's own host name. */
const HANDOFF_PATH = '/sso/handoff';

const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

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
  /**
   * Readers are answered in their language as on the audience pages (`?lang=`, the menu's
   * cookie, Accept-Language, the page's default); `lang` is the one their sign-in started in,
   * carried through the provider in the pending sign-in. Staff get the admin's English.
   */
  const readerSpeaker = async (c: Context, lang: Language | null = null) => {
    const url = new URL(c.req.url);
    const asked =
      lang ??
      requestedLanguage(url.pathname + url.search, {
        cookie: c.req.header('cookie'),
        acceptLanguage: c.req.header('accept-language'),
      });
    return translatorFor(asked ?? (await deps.reader.defaultLanguage().catch(() => 'en' as const)));
  };
  const staffSpeaker = translatorFor('en');
  const notFound = (tr: Translator) =>
    refusal(tr, 404, tr.t('error.notFoundTitle'), tr.t('error.notFound', { what: 'page' }), {
      href: '/',
      label: tr.t('error.goToStatus'),
    });
  const signInPage = (tr: Translator, slug: string | null) => ({
    href: slug ? `/a/${slug}/sign-in` : '/login',
    label: tr.t('sso.backToSignIn'),
  });

  app.get('/sso/start', async (c) => {
    const purpose = c.req.query('for') === 'reader' ? 'reader' : 'staff';
    const slug = c.req.query('audience') ?? '';
    const tr = purpose === 'reader' ? await readerSpeaker(c) : staffSpeaker;
    if (!client)
      return refusal(
        tr,
        404,
        tr.t('sso.notSetUpTitle'),
        tr.t('sso.notSetUp'),
        signInPage(tr, purpose === 'reader' && slugPattern.test(slug) ? slug : null),
      );
    if (purpose === 'reader' && !slugPattern.test(slug)) return notFound(tr);
    let started;
    try {
      started = await client.start();
    } catch (e) {
      deps.log.error('single sign-on: the provider could not be reached', { error: String(e) });
      return refusal(
        tr,
        502,
        tr.t('sso.unavailableTitle'),
        purpose === 'reader'
          ? tr.t('sso.unavailable')
          : `${tr.t('sso.unavailable')} Staff can still sign in with a password if it is allowed.`,
        signInPage(tr, purpose === 'reader' ? slug : null),
      );
    }
    // A reader's language goes through the provider in the page they go back to.
    const lang = languageFromQuery(new URL(c.req.url).search);
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
          ? `/a/${slug}${lang ? `?lang=${lang}` : ''}`
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
    if (!client) {
      const tr = await readerSpeaker(c);
      return refusal(
        tr,
        404,
        tr.t('sso.notSetUpTitle'),
        tr.t('sso.notSetUp'),
        signInPage(tr, null),
      );
    }
    // A sign-in started on an audience's own host name is found by its state (its cookie is on
    // that host); any other by this browser's cookie.
    const fromHost = await takeOidcSignInForHost(deps, c.req.query('state'));
    const pending =
      fromHost ?? (await takeOidcSignIn(deps, readCookie(c.req.header('cookie'), OIDC_COOKIE)));
    const clear = serializeCookie(deps.config, OIDC_COOKIE, '', 0);
    if (!pending) {
      // Nothing says whose sign-in this was: the browser's language.
      const tr = await readerSpeaker(c);
      const r = refusal(tr, 400, tr.t('sso.expiredTitle'), tr.t('sso.expired'), {
        href: '/login',
        label: tr.t('aud.signIn'),
      });
      r.headers.append('set-cookie', clear);
      return r;
    }
    const lang = pending.purpose === 'reader' ? languageFromQuery(pending.next) : null;
    const tr = pending.purpose === 'reader' ? await readerSpeaker(c, lang) : staffSpeaker;
    const onHost = pending.returnHost ? `${protocol}//${pending.returnHost}` : '';
    const back =
      pending.purpose === 'reader'
        ? { href: `${onHost}/a/${pending.audienceSlug}/sign-in`, label: tr.t('sso.backToSignIn') }
        : signInPage(tr, null);
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
      const r = refusal(tr, 401, tr.t('sso.failedTitle'), tr.t('sso.failed'), back);
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
        headers: { ...privatePageHeaders, location: `/a/${s.slug}${lang ? `?lang=${lang}` : ''}` },
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
          ? notFound(tr)
          : refusal(
              tr,
              403,
              tr.t('sso.notAllowedTitle'),
              // Readers in their language; staff keep the domain's own (more technical) words.
              pending.purpose === 'reader' && e.says ? tr.t(e.says.key, e.says.values) : e.message,
              back,
            );
      r.headers.append('set-cookie', clear);
      return r;
    }
  });

  // The audience's own host name takes a sign-in the public host handed to it: with the cookie
  // this browser was given when it started there, the reader is signed in on this host.
  app.get(HANDOFF_PATH, async (c) => {
    const tr = await readerSpeaker(c);
    if (!client)
      return refusal(tr, 404, tr.t('sso.notSetUpTitle'), tr.t('sso.notSetUp'), {
        href: '/',
        label: tr.t('error.goToStatus'),
      });
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
      const r = refusal(
        tr,
        400,
        tr.t('sso.expiredTitle'),
        tr.t('sso.expired'),
        slug === null ? { href: '/', label: tr.t('error.goToStatus') } : signInPage(tr, slug),
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
