import { Hono } from 'hono';
import type { Deps } from '../deps.ts';
import { serializeCookie } from '../http/cookies.ts';
import { LANGUAGE_COOKIE, parseLanguage } from '../i18n/languages.ts';

const YEAR_SECONDS = 365 * 24 * 3600;

/**
 * Only a path on this site: never another host ("//evil.example", "/\\evil"), never a scheme.
 * A Location header carries ASCII only (Node throws on anything else), so letters such as
 * "/日本" go back percent-encoded; a string that cannot be encoded goes home.
 */
function localPath(back: string | undefined): string {
  if (!back || !back.startsWith('/') || back.startsWith('//') || back.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f]/.test(back)) return '/';
  try {
    return back.replace(/[^\x21-\x7e]/gu, (ch) => encodeURIComponent(ch));
  } catch {
    return '/';
  }
}

/**
 * The language menu's target: a plain link (no JavaScript, no form) that remembers the choice
 * in a cookie and goes back to the page it came from, which then speaks that language. An
 * unknown language changes nothing. It only sets a preference, so a GET is fine here.
 */
export function languageRoutes(deps: Pick<Deps, 'config'>) {
  const app = new Hono();
  app.get('/language', (c) => {
    const lang = parseLanguage(c.req.query('set'));
    const back = localPath(c.req.query('back'));
    const headers: Record<string, string> = {
      location: back,
      'cache-control': 'private, no-store',
    };
    if (lang)
      headers['set-cookie'] = serializeCookie(deps.config, LANGUAGE_COOKIE, lang, YEAR_SECONDS);
    return c.body(null, 303, headers);
  });
  return app;
}
