import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';

// docs/languages.md: a `?lang=` link keeps the page "and its own links" in that language,
// whoever opens it; subscribers keep the language of the page they subscribed from.

describe('subscribing from a page shown through a ?lang= link', () => {
  let s: ServerContext;
  beforeAll(async () => {
    s = await startTestServer({ env: { COMPANY_DOMAINS: 'acme.com' } });
  });
  afterAll(() => s.close());

  it('keeps German through the list choice a company address gets', async () => {
    // A browser that asks for English opens a German link to the home page and subscribes with
    // a company address, which both the public and the internal list take.
    const c = new FormClient(s.url, { 'accept-language': 'en' });
    const home = await c.get('/?lang=de');
    const homeAction = /<form method="post" action="(\/subscribe[^"]*)"/.exec(home.html)![1]!;
    const choice = await c.post(homeAction.replaceAll('&amp;', '&'), { email: 'ana@acme.com' });
    expect(choice.html).toContain('<html lang="de"');
    expect(choice.html).toContain('name="choosing"');
    // The choice form, as the page has it.
    const action = /<form method="post" action="(\/subscribe[^"#]*)" class="stack">/
      .exec(choice.html)![1]!
      .replaceAll('&amp;', '&');
    const lists = [...choice.html.matchAll(/name="listIds" value="([^"]+)"/g)].map((m) => m[1]!);
    const done = await c.post(action, { email: 'ana@acme.com', choosing: '1', listIds: lists });
    const rows = await s.deps.db.all<{ language: string | null }>(
      sql`select language from subscribers where email = 'ana@acme.com'`,
    );
    expect({
      action,
      answer: /<html lang="([^"]+)"/.exec(done.html)?.[1],
      stored: rows.map((r) => r.language),
    }).toEqual({ action, answer: 'de', stored: lists.map(() => 'de') });
  });
});
