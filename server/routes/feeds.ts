import { Hono } from 'hono';
import { html, raw } from 'hono/html';
import RSS from 'rss';
import { create } from 'xmlbuilder2';
import type { Deps } from '../deps.ts';
import { cachedResponse } from '../cache/cached.ts';
import { type Translator, translatorFor } from '../i18n/catalogue.ts';
import { dateFormatsFor } from '../i18n/dates.ts';
import { type Language, parseLanguage } from '../i18n/languages.ts';
import { updateTextFor } from '../i18n/update-text.ts';
import type { IncidentJson, MaintenanceJson, PageJson } from '../domain/status/statuspage-json.ts';

type Entry = IncidentJson | MaintenanceJson;
const isMaintenance = (e: Entry): e is MaintenanceJson => e.kind === 'maintenance';

const statusWord = (tr: Translator, status: string) =>
  tr.t(`status.${status}` as Parameters<Translator['t']>[0]);

/**
 * The entry's HTML in one language: every update a paragraph, newest first, all escaped. An
 * update reads in the PM's translation into `lang` where there is one, else as written, marked
 * with its language as pages do.
 */
export function entryContentHtml(
  e: Entry,
  tz: string,
  lang: Language = 'en',
  pageLanguage: Language = lang,
): string {
  const tr = translatorFor(lang);
  const formatShort = dateFormatsFor(lang).short;
  const paragraphs = e.incident_updates.map((u) => {
    const label = u.status_changed ? statusWord(tr, u.status) : tr.t('common.update');
    const said = updateTextFor(u, lang, pageLanguage);
    const lines = said.text.split(/\r?\n/);
    const body = lines.map((l, i) => (i === 0 ? html`${l}` : html`<br>${l}`));
    const text = said.lang
      ? html`<span lang="${said.lang}">${body}</span> <small>(${tr.t('common.inLanguage', { language: tr.languageName(said.lang) })})</small>`
      : body;
    return html`<p><small>${formatShort(u.display_at, tz)}</small><br><strong>${label}</strong> - ${text}</p>`;
  });
  const head = isMaintenance(e)
    ? html`<p><strong>${tr.t('feed.scheduledEvent', { start: formatShort(e.scheduled_for, tz), end: formatShort(e.scheduled_until, tz) })}</strong></p>`
    : '';
  // The post-mortem is newest of all, and its HTML was sanitised when it was rendered.
  const pm = e.postmortem_published_at
    ? html`<p><small>${formatShort(e.postmortem_published_at, tz)}</small><br><strong>${tr.t('status.postmortem')}</strong></p><div>${raw(e.postmortem_body ?? '')}</div>`
    : '';
  return String(html`${head}${pm}${raw(paragraphs.join(''))}`);
}

const lastUpdateTime = (e: Entry) =>
  new Date(
    Math.max(
      Date.parse(e.incident_updates[0]?.display_at ?? e.updated_at),
      e.postmortem_body_last_updated_at ? Date.parse(e.postmortem_body_last_updated_at) : 0,
    ),
  );
const pubDate = (e: Entry) => (isMaintenance(e) ? new Date(e.scheduled_for) : lastUpdateTime(e));

/** `?lang=xx` when a feed was asked for in a language, for its own and its site's links. */
const langQuery = (lang: Language, asked: boolean) => (asked ? `?lang=${lang}` : '');

/**
 * The feed's own address as it was asked for: its language and what opens it (an audience's
 * feed token), so a reader refreshing from the self link gets the same feed, not a 404.
 */
const selfQuery = (lang: Language, asked: boolean, opens: Record<string, string>) => {
  const q = new URLSearchParams({ ...opens, ...(asked ? { lang } : {}) }).toString();
  return q ? `?${q}` : '';
};

export function renderRss(
  page: PageJson,
  entries: Entry[],
  lang: Language = 'en',
  asked = false,
  pageLanguage: Language = lang,
  opens: Record<string, string> = {},
) {
  const tr = translatorFor(lang);
  const feed = new RSS({
    title: tr.t('feed.title', { page: page.name }),
    description: tr.t('feed.description', { page: page.name }),
    site_url: page.url + langQuery(lang, asked),
    feed_url: `${page.url}/history.rss${selfQuery(lang, asked, opens)}`,
    language: lang,
    generator: 'Herald',
    pubDate: new Date(page.updated_at),
    ttl: 1,
  });
  for (const e of entries) {
    feed.item({
      title: e.name,
      description: entryContentHtml(e, page.time_zone, lang, pageLanguage),
      url: e.shortlink,
      guid: e.shortlink,
      date: pubDate(e),
      custom_elements: isMaintenance(e)
        ? [{ maintenanceEndDate: new Date(e.scheduled_until).toUTCString() }]
        : [],
    });
  }
  return feed.xml({ indent: false });
}

/**
 * Text for xmlbuilder2's `txt()`, which escapes `<` but leaves an `&` that starts an entity
 * (`&lt;`) as it is: the HTML's own escapes would be read back as markup by a feed reader (a
 * typed "<script>" would run). Escaping every `&` first keeps them one level deep.
 */
const xmlText = (s: string) => s.replaceAll('&', '&amp;');

export function renderAtom(
  page: PageJson,
  entries: Entry[],
  lang: Language = 'en',
  asked = false,
  pageLanguage: Language = lang,
  opens: Record<string, string> = {},
) {
  const tr = translatorFor(lang);
  const host = new URL(page.url).host;
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele(
    'http://www.w3.org/2005/Atom',
    'feed',
    { 'xml:lang': lang },
  );
  doc.ele('id').txt(`tag:${host},2005:/history`);
  doc.ele('link', { rel: 'alternate', type: 'text/html', href: page.url + langQuery(lang, asked) });
  doc.ele('link', {
    rel: 'self',
    type: 'application/atom+xml',
    href: `${page.url}/history.atom${selfQuery(lang, asked, opens)}`,
  });
  doc.ele('title').txt(xmlText(tr.t('feed.title', { page: page.name })));
  const newest = entries.reduce(
    (m, e) => Math.max(m, lastUpdateTime(e).getTime()),
    new Date(page.updated_at).getTime(),
  );
  doc.ele('updated').txt(new Date(newest).toISOString());
  doc.ele('author').ele('name').txt(xmlText(page.name));
  for (const e of entries) {
    const entry = doc.ele('entry');
    entry.ele('id').txt(`tag:${host},2005:Incident/${e.id}`);
    entry
      .ele('published')
      .txt(new Date(isMaintenance(e) ? e.scheduled_for : e.created_at).toISOString());
    entry.ele('updated').txt(lastUpdateTime(e).toISOString());
    entry.ele('link', { rel: 'alternate', type: 'text/html', href: e.shortlink });
    entry.ele('title').txt(xmlText(e.name));
    entry
      .ele('content', { type: 'html' })
      .txt(xmlText(entryContentHtml(e, page.time_zone, lang, pageLanguage)));
  }
  return doc.end({ prettyPrint: false });
}

/**
 * A feed's language: `?lang=de`, else the page's default language. A feed reader's own headers
 * never pick it: the URL is what people share and subscribe to. The public feeds and each
 * audience's own feeds alike.
 */
export async function feedLanguage(deps: Pick<Deps, 'reader'>, asked: string | undefined) {
  const lang = parseLanguage(asked);
  const pageLanguage = await deps.reader.defaultLanguage();
  return { lang: lang ?? pageLanguage, asked: lang !== null, pageLanguage };
}

export function feedRoutes(deps: Deps) {
  const app = new Hono();
  // The same history in each format: the page's entries, rendered for the feed's language.
  const formats = [
    ['/history.rss', 'application/rss+xml; charset=utf-8', renderRss],
    ['/history.atom', 'application/atom+xml; charset=utf-8', renderAtom],
  ] as const;
  for (const [path, type, render] of formats)
    app.get(path, (c) =>
      cachedResponse(c, deps, type, async () => {
        const { page, entries } = await deps.reader.feedEntries();
        const { lang, asked, pageLanguage } = await feedLanguage(deps, c.req.query('lang'));
        return render(page, entries, lang, asked, pageLanguage);
      }),
    );
  return app;
}
