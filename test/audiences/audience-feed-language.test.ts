import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';

// docs/languages.md: an audience's own feeds (/a/:slug/history.rss) speak the page's default
// language, or the one `?lang=` asks for, as the public feeds do.

describe("an audience's own feeds", () => {
  let t: TestContext;
  let token: string;
  beforeAll(async () => {
    t = await createTestContext();
    await createAudience(
      t.deps,
      { name: 'Kunde Nord', slug: 'kunde-nord', memberDomains: ['nord.de'] },
      testActor,
    );
    await makeIncident(t.deps, { title: 'Kasse langsam', priority: 2, body: 'Die Kasse hakt.' });
    await updateSettings(t.deps, { defaultLanguage: 'de' }, testActor);
    const admin = api(t, (await makeToken(t, 'admin')).secret);
    token = (await admin.get('/api/admin/audiences')).json.audiences[0].feedToken;
  });
  afterAll(() => t.close());

  it("speak the page's default language, as the public feeds without ?lang= do", async () => {
    const pub = await (await t.app.request('/history.rss')).text();
    expect(pub).toContain('<language><![CDATA[de]]></language>');
    const rss = await (await t.app.request(`/a/kunde-nord/history.rss?token=${token}`)).text();
    const atom = await (await t.app.request(`/a/kunde-nord/history.atom?token=${token}`)).text();
    expect({
      rss: /<language>(?:<!\[CDATA\[)?([^<\]]+)/.exec(rss)?.[1],
      atom: /xml:lang="([^"]+)"/.exec(atom)?.[1],
    }).toEqual({ rss: 'de', atom: 'de' });
  });

  it('speak the language ?lang= asks for', async () => {
    const rss = await (
      await t.app.request(`/a/kunde-nord/history.rss?token=${token}&lang=fr`)
    ).text();
    const atom = await (
      await t.app.request(`/a/kunde-nord/history.atom?token=${token}&lang=fr`)
    ).text();
    expect({
      rss: /<language>(?:<!\[CDATA\[)?([^<\]]+)/.exec(rss)?.[1],
      atom: /xml:lang="([^"]+)"/.exec(atom)?.[1],
    }).toEqual({ rss: 'fr', atom: 'fr' });
  });
});
