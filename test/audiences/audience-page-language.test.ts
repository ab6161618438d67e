import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sitePath, startAudienceServer, type AudienceServer } from '../helpers/audience-setup.ts';

// A reader of a named audience, signed in with an emailed link, opens its page through a shared
// `?lang=de` link in a browser that asks for no language in particular: the page's forms answer,
// and mail, in German (docs/languages.md).

describe("an audience page's forms keep the language it was shown in", () => {
  let smtp: AudienceServer['smtp'];
  let s: AudienceServer['s'];
  let listId: string;
  let drain: AudienceServer['drain'];
  let signIn: AudienceServer['signIn'];
  let close: AudienceServer['close'];
  /** Where a redirect answer sends the browser, as a path on the site. */
  const location = (r: { res: Response }) =>
    sitePath(new URL(r.res.headers.get('location')!, s.url).href);

  beforeAll(async () => {
    ({ smtp, s, listId, drain, signIn, close } = await startAudienceServer());
  });
  afterAll(() => close?.());
  beforeEach(() => smtp.clear());

  it('mails a member who joins from the page shown in German (a ?lang=de link) in German', async () => {
    const c = await signIn('de-reader@acme.com');
    // A shared `?lang=de` link, in a browser that asks for no language in particular.
    const page = await c.get('/a/acme-corp?lang=de');
    expect(page.html).toContain('lang="de"');
    // The join form exactly as the page has it: its action and its fields.
    const form = /<form method="post" action="([^"]*)">[\s\S]*?value="join"[\s\S]*?<\/form>/.exec(
      page.html,
    );
    expect(form, 'the page offers the list').not.toBeNull();
    const action = form![1]!.replaceAll('&amp;', '&');
    smtp.clear();
    const joined = await c.post(action, { listId, action: 'join' });
    expect(joined.res.status).toBe(303);
    await drain();
    const welcome = smtp.to('de-reader@acme.com').at(-1);
    expect(welcome, 'a welcome mail').toBeDefined();
    expect(
      { action, lang: /<html lang="([^"]+)"/.exec(welcome!.parsed.html ?? '')?.[1] },
      'the welcome mail comes in the language the page was shown in',
    ).toEqual({ action, lang: 'de' });
  });

  it('keeps German through the answer to joining and through signing out', async () => {
    const c = await signIn('de-out@acme.com');
    const page = await c.get('/a/acme-corp?lang=de');
    const join = /<form method="post" action="([^"]*)">[\s\S]*?value="join"/.exec(page.html)![1]!;
    const joined = await c.post(join.replaceAll('&amp;', '&'), { listId, action: 'join' });
    expect(joined.res.status).toBe(303);
    const back = await c.get(location(joined));
    expect(/<html lang="([^"]+)"/.exec(back.html)?.[1]).toBe('de');
    const out = /<form method="post" action="([^"]*)" class="reader-session">/.exec(back.html)![1]!;
    const signedOut = await c.post(out.replaceAll('&amp;', '&'), {});
    expect(signedOut.res.status).toBe(303);
    const signInPage = await c.get(location(signedOut));
    expect(/<html lang="([^"]+)"/.exec(signInPage.html)?.[1]).toBe('de');
  });
});
