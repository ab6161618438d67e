import { type MessageFormatElement, TYPE, parse } from '@formatjs/icu-messageformat-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { catalogues } from '../../server/i18n/catalogue.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';

// Every page a reader reaches, read in German, has none of Herald's English texts left: a text
// the catalogue has in English and says otherwise in German, or an everyday English word. The
// test's own data is German, and text a page marks as another language (the language menu's
// names, a PM's text written in English) is left out, as a screen reader would switch to it.

/** The literal pieces of an English message, in every select and plural case. */
function literalsOf(message: string): string[] {
  const out: string[] = [];
  const walk = (els: MessageFormatElement[]) => {
    for (const el of els) {
      if (el.type === TYPE.literal) out.push(el.value);
      if (el.type === TYPE.select || el.type === TYPE.plural)
        for (const o of Object.values(el.options)) walk(o.value);
    }
  };
  walk(parse(message, { ignoreTag: true }));
  return out;
}

/**
 * English texts a German page must not show: each piece of an English message that German says
 * otherwise, of at least two words or eight letters, so "RSS" or "Atom" (the same in German)
 * never count.
 */
const englishTexts = [
  ...new Set(
    Object.entries(catalogues.en)
      .filter(([k, v]) => catalogues.de[k as keyof typeof catalogues.de] !== v)
      .flatMap(([, v]) => literalsOf(v))
      .map((s) => s.replace(/[\s:.,;()·“”"]+$/u, '').replace(/^[\s:.,;()·“”"]+/u, ''))
      .filter((s) => /\p{L}{3}/u.test(s) && (s.includes(' ') || s.length >= 8)),
  ),
];

/** Everyday English words no German sentence of Herald's has. */
const englishWords =
  /\b(the|and|your|you|this|that|with|from|have|has|been|will|not|every|email|incident|subscribe|sign in|here|there|what|when|which)\b/i;

const decode = (s: string) =>
  s
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/**
 * What a reader reads on a page: its text and the attributes read out (title, aria-label,
 * placeholder, alt, the description), without scripts and without elements marked as another
 * language than German.
 */
function readable(html: string): string {
  let h = html.replace(/<script[\s\S]*?<\/script>/g, ' ').replace(/<style[\s\S]*?<\/style>/g, ' ');
  // Elements in another language: their own text (no nesting in Herald's pages).
  h = h.replace(/<(\w+)[^>]*\slang="(?!de")[^"]*"[^>]*>[^<]*<\/\1>/g, ' ');
  const attrs = [...h.matchAll(/\s(?:title|aria-label|placeholder|alt|content)="([^"]*)"/g)].map(
    (m) => m[1]!,
  );
  // The description's meta and the hreflang links carry addresses, not words: keep names only.
  const text = h.replace(/<[^>]+>/g, ' ');
  return decode(`${text} ${attrs.filter((a) => !/^(https?:|\/|[\w-]+=)/.test(a)).join(' ')}`)
    .replace(/\s+/g, ' ')
    .trim();
}

function englishIn(text: string): string[] {
  const found = englishTexts.filter((e) =>
    new RegExp(`(^|[^\\p{L}])${e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u').test(
      text,
    ),
  );
  const word = englishWords.exec(text);
  if (word)
    found.push(
      `word "${word[0]}" in …${text.slice(Math.max(0, word.index - 60), word.index + 40)}…`,
    );
  return found;
}

describe('every reader page in German', () => {
  let s: ServerContext;
  let rx: Receiver;
  const pages: Record<string, string> = {};

  beforeAll(async () => {
    rx = await startReceiver();
    s = await startTestServer({
      env: {
        TRUST_PROXY: 'true',
        PUBLIC_WEBHOOK_SIGNUP: 'true',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        COMPANY_DOMAINS: 'acme.com',
      },
    });
    const shop = await makeComponent(s.deps, { name: 'Kasse' });
    const { incident } = await makeIncident(s.deps, {
      title: 'Kasse langsam',
      priority: 1,
      body: 'Die Kasse antwortet langsam.',
      components: [{ componentId: shop.id, status: 'partial_outage' }],
    });
    const start = new Date(s.clock.now().getTime() + 24 * 3600_000);
    await scheduleMaintenance(
      s.deps,
      {
        title: 'Datenbank-Wartung',
        description: 'Neue Datenbankversion.',
        scheduledFor: start,
        scheduledUntil: new Date(start.getTime() + 2 * 3600_000),
        componentIds: [shop.id],
      },
      testActor,
    );
    await createAudience(
      s.deps,
      { name: 'Kunde Nord', slug: 'kunde-nord', memberDomains: ['nord.de'] },
      testActor,
    );
    const { token } = await makeConfirmedSubscriber(s.deps, 'leserin@beispiel.de');

    const visitor = new FormClient(s.url, {
      'accept-language': 'de',
      'x-forwarded-for': '198.51.100.77',
    });
    const read = async (path: string) => (await visitor.get(path)).html;
    pages['/'] = await read('/');
    pages['/history'] = await read('/history');
    pages['/incidents/:id'] = await read(`/incidents/${incident.id}`);
    pages['/subscribe'] = await read('/subscribe');
    pages['/subscribe/incident/:id'] = await read(`/subscribe/incident/${incident.id}`);
    pages['/manage/:token'] = await read(`/manage/${token}`);
    pages['/unsubscribe/:token'] = await read(`/unsubscribe/${token}`);
    pages['/report'] = await read('/report');
    pages['/uptime'] = await read('/uptime');
    pages['/maintenance'] = await read('/maintenance');
    pages['404'] = await read('/gibt-es-nicht');
    pages['/a/:slug/sign-in'] = await read('/a/kunde-nord/sign-in');
    pages['/a/:slug (signed out)'] = await read('/a/kunde-nord');
    pages['/a/:slug/sign-in/:token (used)'] = await read('/a/kunde-nord/sign-in/abcdefghijklmnop');
    pages['/confirm/:token (not valid)'] = await read('/confirm/abcdefghijklmnop');
    // A visitor's webhook: the answer with its secret, then its manage page.
    await visitor.get('/subscribe');
    const hook = await visitor.post('/subscribe', {
      via: 'webhook',
      url: rx.url,
      events: ['incident.created', 'incident.resolved'],
    });
    pages['/subscribe (webhook on)'] = hook.html;
    const manage = /href="(\/manage\/webhook\/[A-Za-z0-9_-]+)"/.exec(hook.html)?.[1];
    if (!manage) throw new Error('no manage link for the webhook');
    pages['/manage/webhook/:token'] = await read(manage);
    // A follower's webhook: the answer with its secret and manage link, then its manage page.
    await visitor.get(`/subscribe/incident/${incident.id}`);
    const followed = await visitor.post(`/subscribe/incident/${incident.id}`, {
      via: 'webhook',
      url: `${rx.url}/follow`,
    });
    pages['/subscribe/incident/:id (webhook on)'] = followed.html;
    const follower = /href="(\/manage\/webhook\/[A-Za-z0-9_-]+)"/.exec(followed.html)?.[1];
    if (!follower) throw new Error('no manage link for the follower');
    pages['/manage/webhook/:token (follower)'] = await read(follower);
  });
  afterAll(async () => {
    await s.close();
    await rx.close();
  });

  it('finds the catalogue English texts it looks for on an English page (the sweep can fail)', async () => {
    const en = await (await fetch(`${s.url}/subscribe`)).text();
    expect(englishIn(readable(en)).length).toBeGreaterThan(3);
  });

  it('has no English text left on any of them', () => {
    const left: Record<string, string[]> = {};
    for (const [path, html] of Object.entries(pages)) {
      expect(html, path).toContain('<html lang="de"');
      const found = englishIn(readable(html));
      if (found.length) left[path] = found;
    }
    expect(left).toEqual({});
  });
});
