import type { Language } from './languages.ts';

/**
 * An update's public text for a reader of `lang`: the PM's translation into it, else the text
 * as written, with its language (`lang`, the page's default) when that is not the reader's, so
 * pages and feeds can mark it. Herald never translates the PM's words itself.
 */
export function updateTextFor(
  u: { body: string; translations: Record<string, string> | null },
  lang: Language,
  pageLanguage: Language,
): { text: string; lang: Language | null } {
  const own = u.translations?.[lang];
  if (own) return { text: own, lang: null };
  return { text: u.body, lang: lang === pageLanguage ? null : pageLanguage };
}
