import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';

// A reader of a named audience, signed in with an emailed link, opens its page through a shared
// `?lang=de` link in a browser that asks for no language in particular: the page's forms answer,
// and mail, in German (docs/languages.md).

describe("an audience page's forms keep the language it was shown in", () => {
  let smtp: SmtpSink;
  let s: ServerContext;
  let admin: ReturnType<typeof api>;
  let listId: string;

  const drain = () => testWorker(s).drain();
  const local = (link: string) => {
    const u = new URL(link);
    return u.pathname + u.search + u.hash;
  };

  /** An emailed sign-in link asked for on the audience's sign-in page and pressed. */
  async function signIn(email: string) {
    const c = new FormClient(s.url);
    await c.get('/a/acme-corp/sign-in');
    await c.post('/a/acme-corp/sign-in', { email });
    await drain();
    const text = smtp.to(email).at(-1)!.parsed.text!;
    const path = local(/https:\/\/status\.example\.com\/a\/acme-corp\/sign-in\/\S+/.exec(text)![0]);
    await c.get(path);
    const r = await c.post(path, {});
    expect(r.res.status).toBe(303);
    return c;
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({ env: { SMTP_URL: smtp.url } });
    admin = api(s, (await makeToken(s, 'admin')).secret);
    expect(
      (
        await admin.post('/api/admin/audiences', {
          name: 'Acme Corp',
          slug: 'acme-corp',
          memberDomains: ['acme.com'],
        })
      ).status,
    ).toBe(201);
    const list = await admin.post('/api/admin/lists', {
      name: 'Acme incident mail',
      audience: 'acme-corp',
      priorities: [0, 1],
    });
    expect(list.status).toBe(201);
    listId = list.json.list.id;
  });
  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });
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
    const back = await c.get(local(new URL(joined.res.headers.get('location')!, s.url).href));
    expect(/<html lang="([^"]+)"/.exec(back.html)?.[1]).toBe('de');
    const out = /<form method="post" action="([^"]*)" class="reader-session">/.exec(back.html)![1]!;
    const signedOut = await c.post(out.replaceAll('&amp;', '&'), {});
    expect(signedOut.res.status).toBe(303);
    const signInPage = await c.get(
      local(new URL(signedOut.res.headers.get('location')!, s.url).href),
    );
    expect(/<html lang="([^"]+)"/.exec(signInPage.html)?.[1]).toBe('de');
  });
});
