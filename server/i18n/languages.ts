import Negotiator from 'negotiator';

/**
 * The languages Herald's own texts come in: BCP 47 tags as written in `<html lang>`, cookies,
 * `?lang=` links and feeds, each with its name in itself (for the language menu) and its
 * writing direction.
 */
export const LANGUAGES = [
  { tag: 'en', name: 'English', dir: 'ltr' },
  { tag: 'de', name: 'Deutsch', dir: 'ltr' },
  { tag: 'fr', name: 'Français', dir: 'ltr' },
  { tag: 'es', name: 'Español', dir: 'ltr' },
  { tag: 'pt-BR', name: 'Português (Brasil)', dir: 'ltr' },
  { tag: 'it', name: 'Italiano', dir: 'ltr' },
  { tag: 'nl', name: 'Nederlands', dir: 'ltr' },
  { tag: 'ja', name: '日本語', dir: 'ltr' },
  { tag: 'zh-CN', name: '简体中文', dir: 'ltr' },
  { tag: 'ar', name: 'العربية', dir: 'rtl' },
] as const;

export type Language = (typeof LANGUAGES)[number]['tag'];
export const LANGUAGE_TAGS: readonly Language[] = LANGUAGES.map((l) => l.tag);
export const DEFAULT_LANGUAGE: Language = 'en';

/** The cookie that remembers a reader's explicit choice from the language menu. */
export const LANGUAGE_COOKIE = 'herald_lang';

const byLower = new Map<string, Language>(LANGUAGE_TAGS.map((t) => [t.toLowerCase(), t]));

/** The language a tag names, case-insensitively ("pt-br" is pt-BR), or null. */
export function parseLanguage(tag: string | null | undefined): Language | null {
  if (!tag) return null;
  return byLower.get(tag.trim().toLowerCase()) ?? null;
}

export function isLanguage(tag: unknown): tag is Language {
  return typeof tag === 'string' && (LANGUAGE_TAGS as readonly string[]).includes(tag);
}

export function directionOf(lang: Language): 'ltr' | 'rtl' {
  return LANGUAGES.find((l) => l.tag === lang)!.dir;
}

const memo = new Map<string, Language | null>();

/**
 * The best of Herald's languages for an Accept-Language header (q-values and prefixes as RFC
 * 9110 says, through `negotiator`: "pt-PT, pt" finds pt-BR), or null when none is acceptable.
 * Browsers send a handful of distinct headers, so answers are remembered per header value; the
 * map is capped because the header is client text.
 */
export function negotiateLanguage(acceptLanguage: string | undefined): Language | null {
  if (!acceptLanguage) return null;
  const known = memo.get(acceptLanguage);
  if (known !== undefined) return known;
  const negotiator = new Negotiator({ headers: { 'accept-language': acceptLanguage } });
  const chosen = negotiator.language([...LANGUAGE_TAGS]);
  // negotiator answers the first offer for `*`; only a named language is a preference.
  const lang =
    chosen && /[a-z]/i.test(acceptLanguage.replace(/\*/g, '')) ? parseLanguage(chosen) : null;
  if (memo.size >= 256) memo.clear();
  memo.set(acceptLanguage, lang);
  return lang;
}

/** The value of the language cookie in a Cookie header, if it names one of Herald's languages. */
export function languageFromCookie(cookieHeader: string | undefined): Language | null {
  if (!cookieHeader || !cookieHeader.includes(LANGUAGE_COOKIE)) return null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === LANGUAGE_COOKIE)
      return parseLanguage(part.slice(eq + 1));
  }
  return null;
}

/** The `lang` query parameter of a path and query, if it names one of Herald's languages. */
export function languageFromQuery(pathAndQuery: string): Language | null {
  const q = pathAndQuery.indexOf('?');
  if (q === -1 || !pathAndQuery.includes('lang=', q)) return null;
  return parseLanguage(new URLSearchParams(pathAndQuery.slice(q + 1)).get('lang'));
}

/**
 * What a request asks for, strongest first: a `?lang=` link, the menu's cookie, then
 * Accept-Language. Null means "the page's default language", which is a setting and so is read
 * with the page (a change to it bumps the change counter, so cached pages keyed by null stay
 * right). Feeds, the embed and the badge pass only the query: a feed reader's or another
 * site's headers should not pick the language of a URL others share.
 */
export function requestedLanguage(
  pathAndQuery: string,
  headers: { cookie?: string | undefined; acceptLanguage?: string | undefined } = {},
): Language | null {
  return (
    languageFromQuery(pathAndQuery) ??
    languageFromCookie(headers.cookie) ??
    negotiateLanguage(headers.acceptLanguage)
  );
}
