import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brotliCompressSync } from 'node:zlib';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { LANGUAGES, LANGUAGE_TAGS } from '../../server/i18n/languages.ts';
import { translatorFor } from '../../server/i18n/catalogue.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';

// Who reads which language on pages: `?lang=` > the menu's cookie > Accept-Language > the
// page's default language, with the language in the cache key and in Vary.

const htmlLang = (html: string) => /<html lang="([^"]+)" dir="([^"]+)"/.exec(html)?.slice(1);

describe('pages in the reader language', () => {
  let s: ServerContext;
  let incidentId = '';

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(s.url + path, { headers, redirect: 'manual' });
    return { res, html: await res.text() };
  };

  beforeAll(async () => {
    s = await startTestServer();
    s.clock.set('2026-11-21T14:00:00.000Z');
    const web = await makeComponent(s.deps, { name: 'Website' });
    const inc = await makeIncident(s.deps, {
      title: 'Checkout is slow',
      priority: 1,
      body: 'We are looking into it.',
      components: [{ componentId: web.id, status: 'partial_outage' }],
    });
    incidentId = inc.incident.id;
  });
  afterAll(() => s.close());

  it('speaks the Accept-Language a browser sends, and English without one', async () => {
    const de = await get('/', { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' });
    expect(htmlLang(de.html)).toEqual(['de', 'ltr']);
    expect(de.html).toContain('<h2 id="active-incidents">Aktuelle Vorfälle</h2>');
    expect(de.html).toContain('Teilausfall');
    const plain = await get('/');
    expect(htmlLang(plain.html)).toEqual(['en', 'ltr']);
    expect(plain.html).toContain('Active incidents');
  });

  it('a ?lang= link beats the cookie, and the cookie beats Accept-Language', async () => {
    const asks = { 'accept-language': 'fr', cookie: 'herald_lang=ja' };
    expect(htmlLang((await get('/', asks)).html)).toEqual(['ja', 'ltr']);
    expect(htmlLang((await get('/?lang=es', asks)).html)).toEqual(['es', 'ltr']);
    expect(htmlLang((await get('/', { 'accept-language': 'fr' })).html)).toEqual(['fr', 'ltr']);
    // Nonsense in either is ignored, never an error.
    const odd = await get('/?lang=xx', { cookie: 'herald_lang=%00', 'accept-language': ';;;q=a' });
    expect(odd.res.status).toBe(200);
    expect(htmlLang(odd.html)).toEqual(['en', 'ltr']);
  });

  it('falls back to the page default language, a setting, when the browser asks for none it has', async () => {
    await updateSettings(s.deps, { defaultLanguage: 'nl' }, testActor);
    try {
      expect(htmlLang((await get('/', { 'accept-language': 'sv, fi;q=0.5' })).html)).toEqual([
        'nl',
        'ltr',
      ]);
      expect(htmlLang((await get('/')).html)).toEqual(['nl', 'ltr']);
      expect(htmlLang((await get('/', { 'accept-language': 'en-GB' })).html)).toEqual([
        'en',
        'ltr',
      ]);
    } finally {
      await updateSettings(s.deps, { defaultLanguage: 'en' }, testActor);
    }
    await expect(updateSettings(s.deps, { defaultLanguage: 'klingon' }, testActor)).rejects.toThrow(
      /defaultLanguage/,
    );
  });

  it('keeps one cached copy per language, so a cached page never answers in the wrong one', async () => {
    for (let round = 0; round < 2; round++) {
      for (const lang of LANGUAGE_TAGS) {
        const { res, html } = await get(`/incidents/${incidentId}`, { 'accept-language': lang });
        expect(res.status).toBe(200);
        expect(htmlLang(html)?.[0], `round ${round}`).toBe(lang);
        expect(html).toContain(translatorFor(lang).t('incident.updates'));
        expect(res.headers.get('vary')).toBe('Accept-Encoding, Accept-Language, Cookie');
      }
    }
    // A ?lang= address is one language whoever asks, so it varies by encoding only.
    const fixed = await get('/history?lang=it', { 'accept-language': 'ja' });
    expect(htmlLang(fixed.html)?.[0]).toBe('it');
    expect(fixed.res.headers.get('vary')).toBe('Accept-Encoding');
  });

  it('lists hreflang alternates for every language and x-default, as absolute ?lang= links', async () => {
    const { html } = await get('/history?page=1', { 'accept-language': 'de' });
    // Absolute, on the public URL (search engines want whole addresses).
    for (const l of LANGUAGES)
      expect(html).toContain(
        `<link rel="alternate" hreflang="${l.tag}" href="https://status.example.com/history?page=1&amp;lang=${encodeURIComponent(l.tag)}">`,
      );
    expect(html).toContain(
      `<link rel="alternate" hreflang="x-default" href="https://status.example.com/history?page=1">`,
    );
  });

  it('the language menu works without JavaScript: a link that sets the cookie and goes back', async () => {
    const { html } = await get('/history', { 'accept-language': 'en' });
    expect(html).toContain('<details class="lang-menu">');
    expect(html).toContain('href="/language?set=ar&amp;back=%2Fhistory"');
    const chose = await get('/language?set=ar&back=%2Fhistory');
    expect(chose.res.status).toBe(303);
    expect(chose.res.headers.get('location')).toBe('/history');
    const cookie = chose.res.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^herald_lang=ar; Path=\/; HttpOnly; SameSite=Lax; (Secure; )?Max-Age=31536000$/,
    );
    expect(chose.res.headers.get('cache-control')).toBe('private, no-store');
    const back = await get('/history', { cookie: cookie.split(';')[0]!, 'accept-language': 'en' });
    expect(htmlLang(back.html)).toEqual(['ar', 'rtl']);
    expect(back.html).toContain('سجل الحوادث');
  });

  it('the menu never sends anyone off the site and ignores a language it does not have', async () => {
    for (const back of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'x'])
      expect(
        (await get(`/language?set=de&back=${encodeURIComponent(back)}`)).res.headers.get(
          'location',
        ),
      ).toBe('/');
    const unknown = await get('/language?set=tlh&back=%2F');
    expect(unknown.res.status).toBe(303);
    expect(unknown.res.headers.get('set-cookie')).toBeNull();
  });

  it('sends the reader back (or home) when the page it came from has non-ASCII characters in its address', async () => {
    // `back` arrives decoded ("/日本"), whether the link percent-encoded it or not; the Location
    // header goes out percent-encoded, so the browser lands on the same page.
    const cases = {
      '/%E6%97%A5%E6%9C%AC': '/%E6%97%A5%E6%9C%AC',
      '/history?q=%E2%82%AC': '/history?q=%E2%82%AC',
      '/history?q=a%20b': '/history?q=a%20b',
      // Not UTF-8 (a lone surrogate): left as sent, ASCII already.
      '/%ED%A0%80': '/%ED%A0%80',
    };
    for (const [back, location] of Object.entries(cases)) {
      const r = await get(`/language?set=de&back=${back}`);
      expect(r.res.status, back).toBe(303);
      expect(r.res.headers.get('set-cookie'), back).toMatch(/^herald_lang=de;/);
      expect(r.res.headers.get('location'), back).toBe(location);
    }
  });

  it('writes dates and status words in the reader language', async () => {
    const ja = await get(`/incidents/${incidentId}?lang=ja`);
    expect(ja.html).toContain('2026年11月21日(土) 14:00 UTC');
    expect(ja.html).toContain('一部停止');
    const ar = await get(`/incidents/${incidentId}?lang=ar`);
    expect(htmlLang(ar.html)).toEqual(['ar', 'rtl']);
    expect(ar.html).toContain('انقطاع جزئي');
  });

  it('publishes one feed per language with <language> set, the default language without ?lang=', async () => {
    const de = await get('/history.rss?lang=de', { 'accept-language': 'ja' });
    expect(de.html).toContain('<language><![CDATA[de]]></language>');
    expect(de.html).toContain('Acme Status – Vorfallverlauf');
    expect(de.html).toContain('Wird untersucht');
    expect(de.html).toContain('https://status.example.com/history.rss?lang=de');
    expect(de.res.headers.get('vary')).toBe('Accept-Encoding');
    // A feed reader's own Accept-Language never picks the language of a shared URL.
    const plain = await get('/history.rss', { 'accept-language': 'ja' });
    expect(plain.html).toContain('<language><![CDATA[en]]></language>');
    expect(plain.html).toContain('Investigating');
    const atom = await get('/history.atom?lang=zh-CN');
    expect(atom.html).toContain('xml:lang="zh-CN"');
    expect(atom.html).toContain('调查中');
  });

  it('the badge and the embed banner speak the language their URL asks for', async () => {
    const de = await get('/badge.svg?lang=de');
    expect(de.html).toContain('xml:lang="de"');
    expect(de.html).toContain('<title>Acme: Teilweiser Systemausfall</title>');
    const en = await get('/badge.svg');
    expect(en.html).toContain('<title>Acme: partial system outage</title>');
    const ar = await get('/badge.svg?lang=ar');
    expect(ar.html).toContain('direction="rtl"');
    const bad = await get('/badge.svg?lang=klingon');
    expect(bad.res.status).toBe(400);
    expect(JSON.parse(bad.html).error.message).toMatch(/^lang must be one of en, de/);
    const embed = JSON.parse((await get('/api/embed.json?lang=ja')).html);
    expect(embed.lang).toBe('ja');
    expect(embed.texts.details).toBe('詳細');
    expect(embed.active[0].status_text).toBe('調査中');
    expect(embed.status.description).toBe('一部システム障害');
    const rtl = JSON.parse((await get('/api/embed.json?lang=ar')).html);
    expect(rtl.dir).toBe('rtl');
  });

  it('the 404 page speaks the reader language', async () => {
    const { res, html } = await get('/no/such/page', { 'accept-language': 'pt-BR' });
    expect(res.status).toBe(404);
    expect(html).toContain('Não encontrado');
  });

  it('keeps every public page under 30 KB compressed in every language', async () => {
    for (const lang of LANGUAGE_TAGS)
      for (const p of ['/', `/incidents/${incidentId}`, '/history', '/maintenance']) {
        const { html } = await get(`${p}${p.includes('?') ? '&' : '?'}lang=${lang}`);
        const size = brotliCompressSync(Buffer.from(html)).length;
        expect(size, `${p} in ${lang}`).toBeLessThan(30 * 1024);
      }
  });
});
