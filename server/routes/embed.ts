import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { html } from 'hono/html';
import type { Deps } from '../deps.ts';
import { cachedResponse } from '../cache/cached.ts';
import { errorBody } from '../http/errors.ts';
import { translatorFor } from '../i18n/catalogue.ts';
import { LANGUAGE_TAGS, type Language, directionOf, parseLanguage } from '../i18n/languages.ts';

const SVG_TYPE = 'image/svg+xml; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
// Stored with the cached body: cache hits are answered before any middleware runs. Caching
// follows the public policy (server/cache/cache-policy.ts): browsers revalidate with the ETag
// (a 304 for an unchanged badge), edges keep it until the next write purges it.
const badgeHeaders = {
  'access-control-allow-origin': '*',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
};
const corsHeaders = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'ETag' };

const colours: Record<string, string> = {
  none: '#116329',
  operational: '#116329',
  minor: '#7d4e00',
  degraded_performance: '#7d4e00',
  major: '#a0430a',
  partial_outage: '#a0430a',
  critical: '#a40e26',
  major_outage: '#a40e26',
  maintenance: '#0b5394',
  under_maintenance: '#0b5394',
};

/** Width of a text in 11px Verdana, near enough for a badge (wide letters count more). */
function textWidth(s: string): number {
  let w = 0;
  for (const ch of s)
    w += /[\u2e80-\uffef]/.test(ch)
      ? 11 // CJK and full-width forms are about a square each
      : /[MWmw@%]/.test(ch)
        ? 10
        : /[A-Z0-9]/.test(ch)
          ? 7.5
          : /[il.,:;|!' ]/.test(ch)
            ? 3.5
            : 6.5;
  return Math.ceil(w);
}

/** A shields-style badge; both texts escaped by hono/html. */
export function renderBadge(
  label: string,
  message: string,
  colour: string,
  lang: Language = 'en',
): string {
  const lw = textWidth(label) + 12;
  const mw = textWidth(message) + 12;
  const w = lw + mw;
  return String(
    html`<svg xmlns="http://www.w3.org/2000/svg" xml:lang="${lang}" direction="${directionOf(lang)}" width="${w}" height="20" role="img" aria-label="${label}: ${message}"><title>${label}: ${message}</title><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${colour}"/><g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="${lw / 2}" y="14">${label}</text><text x="${lw + mw / 2}" y="14">${message}</text></g></svg>`,
  );
}

/**
 * What a product puts on its own pages: `/badge.svg` (overall, or `?component=ID`),
 * `/api/embed.json` (what is going on right now, small) for `/embed.js`. CORS `*`.
 */
export function embedRoutes(deps: Deps) {
  const app = new Hono();
  app.get('/badge.svg', async (c) => {
    const params = new URL(c.req.url).searchParams;
    const keys = [...params.keys()];
    if (
      keys.some((k) => k !== 'component' && k !== 'lang') ||
      params.getAll('component').length > 1 ||
      params.getAll('lang').length > 1
    )
      return c.json(
        errorBody('invalid_query', 'Only one component=ID and one lang=LANGUAGE are accepted.'),
        400,
        corsHeaders,
      );
    const asked = params.get('lang');
    const askedLang = parseLanguage(asked);
    if (asked !== null && !askedLang)
      return c.json(
        errorBody('invalid_query', `lang must be one of ${LANGUAGE_TAGS.join(', ')}.`),
        400,
        corsHeaders,
      );
    const lang = askedLang ?? (await deps.reader.defaultLanguage());
    const tr = translatorFor(lang);
    // English badges read lower case, as shields do; other languages keep their own spelling.
    const word = (s: string) => (lang === 'en' ? s.toLowerCase() : s);
    const componentId = params.get('component');
    if (componentId !== null) {
      const { components } = await deps.reader.components();
      const comp = components.find((x) => x.id === componentId);
      if (!comp)
        return c.body(
          renderBadge(tr.t('badge.status'), tr.t('badge.unknownComponent'), '#57606a', lang),
          404,
          {
            'content-type': SVG_TYPE,
            ...badgeHeaders,
            'cache-control': 'no-store',
          },
        );
    }
    return cachedResponse(
      c,
      deps,
      SVG_TYPE,
      async () => {
        if (componentId !== null) {
          const { components } = await deps.reader.components();
          const comp = components.find((x) => x.id === componentId)!;
          return renderBadge(
            comp.name,
            word(tr.t(`component.${comp.status}`)),
            colours[comp.status]!,
            lang,
          );
        }
        const { page, status } = await deps.reader.status();
        return renderBadge(
          page.name,
          word(tr.t(`indicator.${status.indicator}`)),
          colours[status.indicator]!,
          lang,
        );
      },
      badgeHeaders,
    );
  });

  app.use('/api/embed.json', cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'] }));
  app.get('/api/embed.json', (c) =>
    cachedResponse(
      c,
      deps,
      JSON_TYPE,
      async () => {
        const s = await deps.reader.summary();
        // `?lang=` picks the banner's language (unknown: the page's default); the words it
        // shows come with the data, so the script carries no text of its own.
        const lang = parseLanguage(c.req.query('lang')) ?? (await deps.reader.defaultLanguage());
        const tr = translatorFor(lang);
        const statusText = (st: string) => tr.t(`status.${st}` as Parameters<typeof tr.t>[0]) ?? st;
        const active = [
          ...s.incidents.map((i) => ({
            id: i.id,
            kind: 'incident',
            name: i.name,
            status: i.status,
            status_text: statusText(i.status),
            impact: i.impact,
            url: i.shortlink,
            updated_at: i.updated_at,
          })),
          ...s.scheduled_maintenances
            .filter((m) => m.status === 'in_progress' || m.status === 'verifying')
            .map((m) => ({
              id: m.id,
              kind: 'maintenance',
              name: m.name,
              status: m.status,
              status_text: statusText(m.status),
              impact: 'maintenance',
              url: m.shortlink,
              updated_at: m.updated_at,
            })),
        ];
        return JSON.stringify({
          page: { name: s.page.name, url: s.page.url },
          status: { ...s.status, description: tr.t(`indicator.${s.status.indicator}`) },
          active,
          lang,
          dir: directionOf(lang),
          texts: {
            details: tr.t('embed.details'),
            dismiss: tr.t('embed.dismiss'),
            dismiss_label: tr.t('embed.dismissLabel'),
            more: active.length > 1 ? tr.t('embed.more', { count: active.length - 1 }) : '',
          },
        });
      },
      corsHeaders,
    ),
  );
  return app;
}
