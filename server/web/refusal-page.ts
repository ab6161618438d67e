import { html } from 'hono/html';
import type { Translator } from '../i18n/catalogue.ts';
import { privatePageHeaders } from '../http/page-headers.ts';

/**
 * The small page a refused request gets (413, 415, 403, 405, 400, 429, 503): what happened and
 * what to do, in the reader's language, every value escaped. Refusals answer before Astro runs,
 * so this page has no layout of its own.
 */
export function refusal(
  tr: Translator,
  status: number,
  title: string,
  text: string,
  link: { href: string; label: string },
  opts: { headers?: Record<string, string>; sent?: string | undefined } = {},
): Response {
  // What was sent is shown back (escaped) so nothing typed is lost when a form is refused.
  const sent = opts.sent
    ? html`<p>${tr.t('refuse.sent')}</p><p><textarea readonly rows="6" cols="60">${opts.sent}</textarea></p>`
    : '';
  const body = html`<!doctype html><html lang="${tr.lang}" dir="${tr.dir}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><main><h1>${title}</h1><p>${text}</p>${sent}<p><a href="${link.href}">${link.label}</a></p></main></body></html>`;
  return new Response(String(body), {
    status,
    headers: {
      ...privatePageHeaders,
      'content-type': 'text/html; charset=utf-8',
      ...opts.headers,
    },
  });
}
